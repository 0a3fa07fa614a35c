// The app's frame: which screen a path shows, the navigation, the live stream while logged in.
import { useEffect, useState } from "preact/hooks";
import { isLoggedIn, onAuthChange, onReachableChange } from "./api";
import { onLanguageChange, tr } from "./i18n";
import { onLive, onLiveState, startLive, stopLive } from "./live";
import { linkProps, navigate, useRoute } from "./router";
import { celebrating, loadMe, loadUnread, me, unread, useStore, type Unread } from "./store";
import { ForgotPassword, Login, Register, ResetPassword, VerifyEmail } from "./screens/auth";
import { Deck } from "./screens/deck";
import { Matches, MatchMoment, MatchScreen } from "./screens/matches";
import { Notifications } from "./screens/notifications";
import { Profile } from "./screens/profile";
import { Settings } from "./screens/settings";

const PUBLIC = new Set(["login", "register", "forgot-password", "reset-password", "verify-email"]);

function useRerenderOn(subscribe: (listener: () => void) => () => void): void {
  const [, setTick] = useState(0);
  useEffect(() => subscribe(() => setTick((tick) => tick + 1)), []);
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  const [reachable, setReachable] = useState(true);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    const stop = onReachableChange(setReachable);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
      stop();
    };
  }, []);
  return online && reachable;
}

export function App() {
  useRerenderOn(onLanguageChange);
  useRerenderOn(onAuthChange);
  const route = useRoute();
  const account = useStore(me);
  const counts = useStore(unread);
  const online = useOnline();
  const [live, setLive] = useState(false);
  const loggedIn = isLoggedIn();

  useEffect(() => {
    if (!loggedIn) {
      stopLive();
      return;
    }
    void loadMe().catch(() => undefined);
    void loadUnread();
    startLive();
  }, [loggedIn]);

  useEffect(() => onLiveState(setLive), []);
  useEffect(
    () =>
      onLive((event) => {
        if (event.type === "unread") unread.set(event.data as unknown as Unread);
        if (event.type === "notification") {
          const note = event.data as { type?: string; data?: { match_id?: number } };
          if ((note.type === "match_created" || note.type === "coordinator_match") && note.data?.match_id !== undefined) {
            celebrating.set(note.data.match_id);
          }
        }
      }),
    [],
  );
  useEffect(() => {
    const onMessage = (event: MessageEvent<{ type?: string; url?: string }>) => {
      if (event.data?.type === "navigate" && event.data.url?.startsWith("/app/")) navigate(event.data.url.slice(5));
    };
    navigator.serviceWorker?.addEventListener("message", onMessage);
    return () => navigator.serviceWorker?.removeEventListener("message", onMessage);
  }, []);

  const [first = "", second, third = ""] = route.parts;
  useEffect(() => {
    if (!loggedIn && !PUBLIC.has(first)) navigate("login", { replace: true });
    else if (loggedIn && (first === "" || first === "login" || first === "register") && account) {
      navigate(account.profile?.complete ? "deck" : "profile", { replace: true });
    }
  }, [loggedIn, first, account?.profile?.complete, account === null]);

  let screen;
  if (first === "verify-email") screen = <VerifyEmail token={route.query.get("token")} />;
  else if (first === "reset-password") screen = <ResetPassword token={route.query.get("token")} />;
  else if (first === "forgot-password") screen = <ForgotPassword />;
  else if (!loggedIn) screen = first === "register" ? <Register /> : <Login />;
  else if (first === "profile") screen = <Profile />;
  else if (first === "matches" && second && /^\d+$/.test(second)) screen = <MatchScreen id={Number(second)} tab={third} />;
  else if (first === "matches") screen = <Matches />;
  else if (first === "notifications") screen = <Notifications />;
  else if (first === "settings") screen = <Settings />;
  else screen = <Deck />;

  const nav = [
    ["deck", tr("Ontdekken", "Discover"), 0],
    ["matches", tr("Matches", "Matches"), counts.messages],
    ["notifications", tr("Meldingen", "Notifications"), counts.notifications],
    ["profile", tr("Profiel", "Profile"), 0],
    ["settings", tr("Instellingen", "Settings"), 0],
  ] as const;

  return (
    <>
      <a class="skip" href="#main">
        {tr("Naar de inhoud", "Skip to content")}
      </a>
      <header class="top">
        <span class="brand">Job Tinder</span>
        {!online && (
          <span class="offline" role="status">
            {tr("Offline", "Offline")}
          </span>
        )}
        {loggedIn && online && <span class={live ? "live on" : "live"} title={live ? tr("Live verbonden", "Live connected") : tr("Verbinden…", "Connecting…")} aria-hidden="true" />}
      </header>
      <main id="main">{screen}</main>
      {loggedIn && (
        <nav class="bottom" aria-label={tr("Hoofdmenu", "Main menu")}>
          {nav.map(([path, text, badge]) => (
            <a key={path} {...linkProps(path)} aria-current={first === path || (path === "deck" && first === "") ? "page" : undefined}>
              <span>{text}</span>
              {badge > 0 && (
                <span class="badge" data-testid={`badge-${path}`}>
                  {badge}
                  <span class="visually-hidden"> {tr("nieuw", "new")}</span>
                </span>
              )}
            </a>
          ))}
        </nav>
      )}
      <MatchMoment />
    </>
  );
}
