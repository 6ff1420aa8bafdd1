// Reading again only while someone looks: a page in a tab in the background (another tab in
// front, a window minimized) asks the daemon nothing, and catches up once when it is seen again.
// The views read again on a timer and at each run of the live feed; a Tasks page left open in a
// background tab would otherwise read the board (every task, in Redis, which the daemons' claims
// share) every few seconds, for as long as the browser runs.

export interface InView {
  /** Calls the view's refresh now while the page is in view; else once it is back in view. */
  refresh: () => void;
  /** Forgets a refresh put off (the view is left). */
  stop: () => void;
}

export function whileInView(refresh: () => void): InView {
  let owed = false;
  const onChange = () => {
    if (document.visibilityState !== 'visible' || !owed) return;
    owed = false;
    refresh();
  };
  document.addEventListener('visibilitychange', onChange);
  return {
    refresh: () => {
      if (document.visibilityState === 'visible') refresh();
      else owed = true;
    },
    stop: () => document.removeEventListener('visibilitychange', onChange),
  };
}
