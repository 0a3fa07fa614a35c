// The API client: openapi-fetch over the types generated from openapi/openapi.json
// (`npm run gen`), with the login's tokens, one refresh at a time, and Accept-Language.
import createClient from "openapi-fetch";
import type { components, paths } from "./api/schema";
import { getLanguage } from "./i18n";

export type Schemas = components["schemas"];
export type Card = Schemas["ProfileCard"];
export type FeedItem = Schemas["FeedItemOut"];
export type Match = Schemas["MatchOut"];
export type Me = Schemas["MeOut"];
export type Message = Schemas["MessageOut"];
export type Notification = Schemas["NotificationPage"]["items"][number];
export type Problem = Schemas["Problem"];

type Tokens = { access: string; refresh: string };
const TOKENS_KEY = "jt.tokens";

let tokens: Tokens | null = readTokens();
const authListeners = new Set<() => void>();

function readTokens(): Tokens | null {
  try {
    const raw = localStorage.getItem(TOKENS_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function isLoggedIn(): boolean {
  return tokens !== null;
}

export function accessToken(): string | null {
  return tokens?.access ?? null;
}

export function setTokens(pair: Schemas["TokenOut"] | null): void {
  tokens = pair ? { access: pair.access_token, refresh: pair.refresh_token } : null;
  if (tokens) localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  else localStorage.removeItem(TOKENS_KEY);
  authListeners.forEach((listener) => listener());
}

export function onAuthChange(listener: () => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** A new token pair from the refresh token; once at a time however many requests got 401. */
function refresh(): Promise<boolean> {
  if (!tokens) return Promise.resolve(false);
  refreshing ??= (async () => {
    const used = tokens?.refresh;
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: used }),
      });
      if (!response.ok) {
        if (tokens?.refresh === used) setTokens(null); // the login is over
        return false;
      }
      setTokens((await response.json()) as Schemas["TokenOut"]);
      return true;
    } catch {
      return false; // offline: keep the tokens, try again later
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function withHeaders(request: Request): Request {
  const headers = new Headers(request.headers);
  headers.set("Accept-Language", getLanguage());
  if (tokens && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${tokens.access}`);
  return new Request(request, { headers });
}

let reachable = true;
const reachListeners = new Set<(reachable: boolean) => void>();

/** Whether the last request reached the server (navigator.onLine alone can be wrong). */
export function onReachableChange(listener: (reachable: boolean) => void): () => void {
  reachListeners.add(listener);
  return () => reachListeners.delete(listener);
}

function setReachable(value: boolean): void {
  if (value === reachable) return;
  reachable = value;
  reachListeners.forEach((listener) => listener(value));
}

async function send(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    setReachable(true);
    return response;
  } catch (error) {
    setReachable(false);
    throw error;
  }
}

/** fetch with the access token and language; one refresh and retry on 401. */
export async function authedFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const response = await send(withHeaders(request));
  if (response.status === 401 && tokens && !request.url.includes("/auth/")) {
    if (await refresh()) return send(withHeaders(retry));
  }
  return response;
}

export const api = createClient<paths>({ fetch: authedFetch });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }

  /** The first validation message for a field (422), if any. */
  field(name: string): string | undefined {
    const errors = (this.problem as { errors?: { loc: (string | number)[]; msg: string }[] } | null)?.errors;
    return errors?.find((error) => error.loc.includes(name))?.msg;
  }
}

/** The answer's data, or an ApiError with its problem body. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const problem = (result.error ?? null) as Partial<Problem> | null;
  throw new ApiError(result.response.status, typeof problem === "object" ? problem : null);
}

export async function logout(): Promise<void> {
  try {
    await api.POST("/api/v1/auth/logout");
  } catch {
    // offline: the tokens go anyway
  }
  setTokens(null);
}
