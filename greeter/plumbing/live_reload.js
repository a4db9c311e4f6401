"use strict";
// greeter --debug: this page reloads itself when a file it came from changes (greeter/plumbing/live_reload.py).
// Every save makes greeter replace its worker, which ends each open stream; each time the stream opens again
// (and once at first, in case the worker changed in between) the page asks whether its own files changed.
// Allowed by its hash; outside --debug it is not on the page at all.
(() => {
  const me = document.currentScript;
  const { stream, check, stamp } = me.dataset;
  // whether the page would come out otherwise now: a file it came from changed, or the code does not start
  const outdated = async () => {
    if (!stamp) return true; // the page of code that does not start: code that starts is news
    try {
      const answer = await fetch(check, { cache: "no-store" });
      return !answer.ok || (await answer.text()) !== stamp;
    } catch {
      return false; // greeter does not answer (stopped, or starting again): wait for it
    }
  };
  const watch = () => {
    const source = new EventSource(stream);
    source.onopen = async () => {
      if (await outdated()) location.reload();
    };
    source.onerror = async () => {
      if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      // not a stream: the code does not start, and every answer is its error; look again soon
      source.close();
      if (stamp && (await outdated())) {
        location.reload();
        return;
      }
      setTimeout(watch, 500);
    };
  };
  watch();
})();
