// A small router over the History API for the screens under /app/.
import { useEffect, useState } from "preact/hooks";

const BASE = "/app/";
const listeners = new Set<() => void>();

export type Route = { path: string; parts: string[]; query: URLSearchParams };

function current(): Route {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  const clean = path.replace(/\/+$/, "");
  return { path: clean, parts: clean ? clean.split("/") : [], query: new URLSearchParams(location.search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + to.replace(/^\/+/, "");
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((listener) => listener());
}

window.addEventListener("popstate", () => listeners.forEach((listener) => listener()));

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return route;
}

/** An in-app link: a real <a href> (open in new tab works) that navigates without a reload. */
export function linkProps(to: string): { href: string; onClick: (event: MouseEvent) => void } {
  return {
    href: BASE + to,
    onClick: (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      navigate(to);
    },
  };
}
