"""Under --debug, the browser reports each security policy violation to greeter, which says it in the terminal.

The policy of the debug mode adds `report-uri` (and 'report-sample', so the report quotes what was blocked); this
route takes the report (Chromium posts it as application/csp-report) and prints one line
(greeter/shared/policy_violations.py). Outside debug mode neither the route nor the policy's additions exist.
"""

from __future__ import annotations

import json
import sys

from quart import Quart, request

from greeter.shared.policy_violations import violation_line

POLICY_REPORTS = "/greeter-debug/policy-report"
MOST_REPORT_BYTES = 64 * 1024  # a report is a few hundred bytes; anything much larger is not one


def print_policy_reports(app: Quart) -> None:
    """The route the debug policy's report-uri names."""

    @app.post(POLICY_REPORTS)
    async def policy_report() -> tuple[str, int]:
        body = await request.get_data()  # read whole, within Quart's MAX_CONTENT_LENGTH
        if len(body) > MOST_REPORT_BYTES:
            return "", 413
        try:
            report = json.loads(body)["csp-report"]
        except (ValueError, KeyError, TypeError):
            return "", 400
        if isinstance(report, dict):
            print(f"greeter: {violation_line(report)}", file=sys.stderr, flush=True)
        return "", 204
