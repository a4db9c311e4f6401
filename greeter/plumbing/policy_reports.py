"""Under --debug, the browser reports each security policy violation to greeter, which says it in the terminal.

The policy of the debug mode adds `report-uri` (and 'report-sample', so the report quotes what was blocked); this
route takes the report (Chromium posts it as application/csp-report) and prints one line
(greeter/shared/policy_violations.py), naming the template and line of what was blocked when one of the files the
page came from holds it. Outside debug mode neither the route nor the policy's additions exist.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import unquote, urlsplit

from quart import Quart, request

from greeter.plumbing.live_reload import sources_of_page
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
            # the page's files, as live_reload noted them when it was served: the template holding the snippet
            sources = sources_of_page(unquote(urlsplit(str(report.get("document-uri", ""))).path))
            print(f"greeter: {violation_line(report, sources)}", file=sys.stderr, flush=True)
        return "", 204
