# shellcheck shell=bash
# Reading wrk's output, for the scripts that run it (scripts/bench-health.sh and
# scripts/soak.sh): one conversion of its latency figures, so both report them alike.
# Source it; it only defines functions.

# wrk_ms VALUE: a wrk latency such as 85.00us, 1.20ms or 1.01s, in milliseconds with three
# decimals. Anything else is an error (status 1): a format wrk has not printed before
# must not turn silently into a number.
wrk_ms() {
    # LC_ALL=C: a locale with a decimal comma would change awk's output.
    LC_ALL=C awk -v value="$1" 'BEGIN {
        if (value ~ /^[0-9.]+us$/) { scale = 0.001; unit = 2 }
        else if (value ~ /^[0-9.]+ms$/) { scale = 1; unit = 2 }
        else if (value ~ /^[0-9.]+s$/) { scale = 1000; unit = 1 }
        else { printf "wrk_ms: not a wrk latency: \"%s\"\n", value > "/dev/stderr"; exit 1 }
        printf "%.3f\n", substr(value, 1, length(value) - unit) * scale
    }'
}
