// Settings: language, mail per notification type, push on this device, sessions, my data,
// log out and delete the account.
import { useEffect, useState } from "preact/hooks";
import { api, authedFetch, logout, must, setTokens } from "../api";
import { formatTime, getLanguage, setLanguage, tr, type Language } from "../i18n";
import { stopLive } from "../live";
import { navigate } from "../router";
import { me } from "../store";
import { ErrorBox, Notice, Screen, useAction, useLoad } from "../ui";
import { notificationText } from "./notifications";

export function Settings() {
  return (
    <Screen title={tr("Instellingen", "Settings")}>
      <LanguageAndMail />
      <Push />
      <Sessions />
      <MyData />
    </Screen>
  );
}

function LanguageAndMail() {
  const { data, error, setData } = useLoad(async () => must(await api.GET("/api/v1/me/notification-settings")));
  const [language, setLocal] = useState<Language>(getLanguage());
  const save = useAction(async (body: { language?: Language; mail?: Record<string, boolean> }) => {
    setData(must(await api.PUT("/api/v1/me/notification-settings", { body: body as never })));
  });
  const choose = (next: Language) => {
    setLocal(next);
    setLanguage(next);
    void save.run({ language: next });
  };
  return (
    <section aria-labelledby="settings-language">
      <h2 id="settings-language">{tr("Taal", "Language")}</h2>
      <fieldset class="row">
        <legend class="visually-hidden">{tr("Taal van de app en je mails", "Language of the app and your mails")}</legend>
        {(["nl", "en"] as const).map((code) => (
          <label key={code} class="radio">
            <input type="radio" name="language" value={code} checked={language === code} onChange={() => choose(code)} />
            {code === "nl" ? "Nederlands" : "English"}
          </label>
        ))}
      </fieldset>
      <h2>{tr("Meldingen per mail", "Notifications by mail")}</h2>
      <ErrorBox error={error ?? save.error} />
      {data && (
        <fieldset>
          <legend class="visually-hidden">{tr("Welke meldingen ook per mail", "Which notifications also by mail")}</legend>
          {Object.entries(data.mail).map(([type, on]) => (
            <label key={type} class="check">
              <input type="checkbox" checked={on} onChange={(event) => void save.run({ mail: { [type]: (event.target as HTMLInputElement).checked } })} />
              {notificationText({ type, data: { partner_name: "…" } })}
            </label>
          ))}
        </fieldset>
      )}
    </section>
  );
}

function keyBytes(base64url: string): Uint8Array {
  const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function Push() {
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  const [on, setOn] = useState<boolean | null>(null);
  const [available, setAvailable] = useState(true);
  useEffect(() => {
    if (!supported) return;
    void navigator.serviceWorker.ready.then((registration) => registration.pushManager.getSubscription()).then((subscription) => setOn(subscription !== null));
  }, []);
  const toggle = useAction(async () => {
    const registration = await navigator.serviceWorker.ready;
    if (on) {
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) {
        await api.DELETE("/api/v1/me/push-subscriptions", { body: { endpoint: subscription.endpoint } });
        await subscription.unsubscribe();
      }
      setOn(false);
      return;
    }
    const key = await api.GET("/api/v1/push/public-key");
    if (!key.data) {
      setAvailable(false);
      return;
    }
    if ((await Notification.requestPermission()) !== "granted") {
      throw new Error(tr("Je browser staat meldingen niet toe.", "Your browser does not allow notifications."));
    }
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.data.public_key) as BufferSource });
    must(await api.POST("/api/v1/me/push-subscriptions", { body: subscription.toJSON() as never }));
    setOn(true);
  });
  return (
    <section aria-labelledby="settings-push">
      <h2 id="settings-push">{tr("Pushmeldingen op dit apparaat", "Push notifications on this device")}</h2>
      {!supported ? (
        <Notice>{tr("Deze browser ondersteunt geen pushmeldingen.", "This browser does not support push notifications.")}</Notice>
      ) : !available ? (
        <Notice>{tr("Deze server verstuurt geen pushmeldingen.", "This server does not send push notifications.")}</Notice>
      ) : (
        <label class="check">
          <input type="checkbox" checked={on === true} disabled={on === null || toggle.busy} onChange={() => void toggle.run()} data-testid="push-toggle" />
          {tr("Pushmeldingen aan", "Push notifications on")}
        </label>
      )}
      <ErrorBox error={toggle.error} />
    </section>
  );
}

function Sessions() {
  const { data, error, reload } = useLoad(async () => must(await api.GET("/api/v1/me/sessions")));
  const end = useAction(async (id: string) => {
    must(await api.DELETE("/api/v1/me/sessions/{session_id}", { params: { path: { session_id: id } } }));
    reload();
  });
  return (
    <section aria-labelledby="settings-sessions">
      <h2 id="settings-sessions">{tr("Ingelogde apparaten", "Logged-in devices")}</h2>
      <ErrorBox error={error ?? end.error} />
      <ul class="sessions">
        {data?.items.map((session) => (
          <li key={session.id}>
            <span>
              <strong>{session.device_name ?? session.user_agent ?? tr("Onbekend apparaat", "Unknown device")}</strong>
              <br />
              <small>
                {tr("Laatst gebruikt", "Last used")} {formatTime(session.last_used_at)}
                {session.current ? ` · ${tr("dit apparaat", "this device")}` : ""}
              </small>
            </span>
            {!session.current && (
              <button type="button" class="quiet" disabled={end.busy} onClick={() => void end.run(session.id)}>
                {tr("Uitloggen", "Log out")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function MyData() {
  const [confirming, setConfirming] = useState(false);
  const [exportUrl, setExportUrl] = useState<string | null>(null);
  const download = useAction(async () => {
    const response = await authedFetch(new Request("/api/v1/me/export"));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    setExportUrl(URL.createObjectURL(new Blob([await response.text()], { type: "application/json" })));
  });
  const remove = useAction(async () => {
    const response = await authedFetch(new Request("/api/v1/me", { method: "DELETE" }));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    stopLive();
    setTokens(null);
    me.set(null);
    navigate("login", { replace: true });
  });
  return (
    <section aria-labelledby="settings-data">
      <h2 id="settings-data">{tr("Mijn gegevens", "My data")}</h2>
      <p>
        <button type="button" disabled={download.busy} onClick={() => void download.run()}>
          {tr("Alles wat over mij is opgeslagen", "Everything stored about me")}
        </button>{" "}
        {exportUrl && (
          <a href={exportUrl} download="jobtinder-mijn-gegevens.json">
            {tr("Download (JSON)", "Download (JSON)")}
          </a>
        )}
      </p>
      <ErrorBox error={download.error} />
      <p>
        <button
          type="button"
          onClick={() => {
            stopLive();
            void logout().then(() => {
              me.set(null);
              navigate("login", { replace: true });
            });
          }}
        >
          {tr("Uitloggen", "Log out")}
        </button>
      </p>
      {confirming ? (
        <div class="danger-zone" role="group" aria-labelledby="delete-title">
          <h3 id="delete-title">{tr("Account verwijderen?", "Delete your account?")}</h3>
          <p>{tr("Je gegevens worden gewist; je matches zien alleen nog 'oud-deelnemer'. Dit kan niet ongedaan.", "Your data is erased; your matches only see 'former participant'. This cannot be undone.")}</p>
          <button type="button" class="danger" disabled={remove.busy} onClick={() => void remove.run()}>
            {tr("Ja, verwijder mijn account", "Yes, delete my account")}
          </button>{" "}
          <button type="button" class="quiet" onClick={() => setConfirming(false)}>
            {tr("Annuleren", "Cancel")}
          </button>
          <ErrorBox error={remove.error} />
        </div>
      ) : (
        <button type="button" class="quiet danger-text" onClick={() => setConfirming(true)}>
          {tr("Account verwijderen", "Delete account")}
        </button>
      )}
    </section>
  );
}
