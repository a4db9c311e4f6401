"""What --debug adds to the Quart app, in place of what Quart's debug mode does or does not do: greeter's own
traceback page, the policy's violations said in the terminal, and pages that reload themselves on each edit.

The policy of debug mode allows the inline code these add, by its hash, and asks for the violation reports; the
policy outside debug mode is left exactly as it is (greeter/shared/security.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from quart import Quart

from greeter.plumbing import debug_page, live_reload
from greeter.plumbing.policy_reports import POLICY_REPORTS, print_policy_reports
from greeter.shared.security import security_headers

# the inline code of debug mode, as the policy's hashes are computed: the traceback page's <style>, the script
DEBUG_PAGES: Mapping[str, str] = {
    "plumbing/debug_page/page.html": debug_page.PAGE,
    "plumbing/live_reload.js": live_reload.SCRIPT_BLOCK,
}


def debug_security_headers(templates_dir: Path | None) -> Mapping[str, str]:
    """The headers of every answer in debug mode; templates_dir None: the debug pages alone (for the page of code
    that does not start, whose templates may be what is broken)."""
    return security_headers(templates_dir, DEBUG_PAGES, report_uri=POLICY_REPORTS)


def init_debug_mode(app: Quart) -> None:
    """The traceback page, the violation reports, and the pages that follow the edits."""
    debug_page.show_errors_on_the_page(app)
    print_policy_reports(app)
    live_reload.follow_edits(app)
