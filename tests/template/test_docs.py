"""What the docs and comments say about AWS, held to what AWS documents (issue 14,
finding 7): each row is a claim that was once wrong here, the words that must not come
back and the words that must stay, with the AWS source. A row fails when a wrong claim
returns or the corrected one goes.

Sources: Route 53 Developer Guide, "Creating, updating, and deleting health checks"
(CLOUDWATCH_METRIC checks: "Route 53 doesn't automatically update the alarm settings",
InsufficientDataHealthStatus), "Monitoring health checks using CloudWatch"
(HealthCheckStatus), "Deleting health checks" (Route 53 does not check references);
EventBridge User Guide, "Creating a rule that runs on a schedule" ("within that
minute")."""

import pathlib
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def text_of(*globs):
    """The text of every file the globs name under the project root, joined."""
    parts = []
    for pattern in globs:
        for path in sorted(ROOT.glob(pattern)):
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


DOCS = ("ARCHITECTURE.md", "README.md", "docs/*.md")
SOURCES = ("crates/*/src/**/*.rs",)

# (claim, files, words that must not appear, words that must appear)
CLAIMS = [
    (
        "the gate alarm's TreatMissingData does not hold routing; the check's "
        "InsufficientDataHealthStatus = LastKnownStatus does",
        DOCS + SOURCES,
        ['treat missing data as "keep state"'],
        ["InsufficientDataHealthStatus = LastKnownStatus"],
    ),
    (
        "a CLOUDWATCH_METRIC check has no request interval and no failure threshold",
        ("docs/deploy.md",),
        [],
        ["no request interval and no failure threshold"],
    ),
    (
        "HealthCheckStatus is Route 53's assessment of the endpoint, not a per-checker report",
        DOCS + SOURCES,
        ["per checker report", "per-checker report"],
        ["Route 53's assessment of the endpoint"],
    ),
    (
        "Route 53 does not refuse deleting a health check that records still use",
        DOCS,
        ["Route 53 refuses to delete", "Route 53 refuses deleting"],
        ["does **not** refuse to delete a health"],
    ),
    (
        "the regions' ticks are not simultaneous (EventBridge fires rate() schedules "
        "within that minute)",
        DOCS + SOURCES,
        ["watcher runs at the same moment", "watcher ticks at the same moment"],
        ["not simultaneous", "within that minute"],
    ),
]


class AwsClaims(unittest.TestCase):
    def test_every_claim_says_what_aws_documents(self):
        for claim, files, wrong, right in CLAIMS:
            text = text_of(*files)
            self.assertTrue(text, f"{claim}: no file matched {files}")
            for words in wrong:
                self.assertNotIn(words, text, f"{claim}: the wrong claim came back")
            for words in right:
                self.assertIn(words, text, f"{claim}: the corrected claim is gone")


if __name__ == "__main__":
    unittest.main()
