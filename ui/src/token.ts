// The token arrives in the URL fragment (#token=…), which browsers never send to a server; it is
// kept in sessionStorage and removed from the address bar at once (so it is not in history or logs).

const TOKEN_KEY = 'switchboard.token';

export function takeToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]!);
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** The token in use, for the HTTP routes a panel calls with `fetch` (always in a header, never a URL). */
export function currentToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
