// Register, log in, verify the address, forgotten password.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, isLoggedIn, must, setTokens } from "../api";
import { getLanguage, tr } from "../i18n";
import { linkProps, navigate } from "../router";
import { loadMe } from "../store";
import { ErrorBox, Field, Notice, Screen, useAction } from "../ui";

function deviceName(): string {
  const ua = navigator.userAgent;
  const kind = /Mobi|Android|iPhone/.test(ua) ? tr("Telefoon", "Phone") : tr("Computer", "Computer");
  return `${kind} (web app)`;
}

export async function logIn(email: string, password: string): Promise<void> {
  const pair = must(
    await api.POST("/api/v1/auth/token", {
      body: { username: email, password, device_name: deviceName(), scope: "" },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
  setTokens(pair);
  await loadMe();
}

export function Login() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction(async () => {
    await logIn(email.trim(), password);
    navigate("", { replace: true });
  });
  return (
    <Screen title={tr("Inloggen", "Log in")}>
      <p class="lead">{tr("Docenten en professionals leren van elkaar.", "Teachers and professionals learn from each other.")}</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <Field label={tr("E-mailadres", "Email address")} type="email" autoComplete="username" required value={email} onValue={setEmail} />
        <Field label={tr("Wachtwoord", "Password")} type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <ErrorBox error={error} />
        <button class="primary" type="submit" disabled={busy}>
          {tr("Inloggen", "Log in")}
        </button>
      </form>
      <p>
        <a {...linkProps("register")}>{tr("Nog geen account? Registreren", "No account yet? Register")}</a>
      </p>
      <p>
        <a {...linkProps("forgot-password")}>{tr("Wachtwoord vergeten?", "Forgot your password?")}</a>
      </p>
    </Screen>
  );
}

export function Register() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [side, setSide] = useState<"teacher" | "professional">("teacher");
  const { busy, error, run } = useAction(async () => {
    must(await api.POST("/api/v1/auth/register", { body: { name: name.trim(), email: email.trim(), password, side } }));
    await logIn(email.trim(), password);
    // Mails, pushes and notification texts in the language the app is in.
    await api.PUT("/api/v1/me/notification-settings", { body: { language: getLanguage() } });
    navigate("profile", { replace: true });
  });
  const passwordError = error instanceof ApiError ? error.field("password") : undefined;
  return (
    <Screen title={tr("Registreren", "Register")}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <fieldset class="sides">
          <legend>{tr("Ik ben", "I am")}</legend>
          <label class={side === "teacher" ? "side on" : "side"}>
            <input type="radio" name="side" value="teacher" checked={side === "teacher"} onChange={() => setSide("teacher")} />
            {tr("Docent", "Teacher")}
          </label>
          <label class={side === "professional" ? "side on" : "side"}>
            <input type="radio" name="side" value="professional" checked={side === "professional"} onChange={() => setSide("professional")} />
            {tr("Professional", "Professional")}
          </label>
        </fieldset>
        <Field label={tr("Naam", "Name")} autoComplete="name" required maxLength={120} value={name} onValue={setName} />
        <Field label={tr("E-mailadres", "Email address")} type="email" autoComplete="email" required value={email} onValue={setEmail} />
        <Field
          label={tr("Wachtwoord", "Password")}
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint={tr("Minstens 10 tekens.", "At least 10 characters.")}
          error={passwordError}
          value={password}
          onValue={setPassword}
        />
        <ErrorBox error={passwordError ? null : error} />
        <button class="primary" type="submit" disabled={busy}>
          {tr("Account maken", "Create account")}
        </button>
      </form>
      <p>
        <a {...linkProps("login")}>{tr("Ik heb al een account", "I already have an account")}</a>
      </p>
    </Screen>
  );
}

/** /app/verify-email?token=... (the mail's link): confirms the address at once. */
export function VerifyEmail(props: { token: string | null }) {
  const [state, setState] = useState<"working" | "done" | "failed">(props.token ? "working" : "failed");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!props.token) return;
    api.POST("/api/v1/auth/verify-email", { body: { token: props.token } }).then(
      (result) => {
        try {
          must(result);
          setState("done");
          if (isLoggedIn()) void loadMe().catch(() => undefined);
        } catch (caught) {
          setError(caught);
          setState("failed");
        }
      },
      (caught) => {
        setError(caught);
        setState("failed");
      },
    );
  }, [props.token]);
  return (
    <Screen title={tr("E-mailadres bevestigen", "Confirm your email address")}>
      {state === "working" && <Notice>{tr("Even bevestigen…", "Confirming…")}</Notice>}
      {state === "done" && <Notice>{tr("Je e-mailadres is bevestigd.", "Your email address is confirmed.")}</Notice>}
      {state === "failed" && <ErrorBox error={error ?? tr("Deze link werkt niet (meer).", "This link does not work (any more).")} />}
      <p>
        <a class="button primary" {...linkProps(isLoggedIn() ? "" : "login")}>
          {isLoggedIn() ? tr("Verder", "Continue") : tr("Inloggen", "Log in")}
        </a>
      </p>
    </Screen>
  );
}

/** Shown to a logged-in participant who has not confirmed the address yet. */
export function VerifyBanner() {
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useAction(async () => {
    must(await api.POST("/api/v1/auth/verify-email/resend"));
    setSent(true);
  });
  return (
    <div class="banner" role="status">
      <p>
        {tr(
          "Bevestig eerst je e-mailadres met de link in je mail. Daarna kun je swipen en zien anderen jou.",
          "First confirm your email address with the link in your mail. Then you can swipe and others can see you.",
        )}
      </p>
      {sent ? (
        <p>{tr("We hebben een nieuwe mail gestuurd.", "We sent a new mail.")}</p>
      ) : (
        <button type="button" disabled={busy} onClick={() => void run()}>
          {tr("Stuur de mail opnieuw", "Send the mail again")}
        </button>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useAction(async () => {
    must(await api.POST("/api/v1/auth/password-reset", { body: { email: email.trim() } }));
    setSent(true);
  });
  return (
    <Screen title={tr("Wachtwoord vergeten", "Forgot password")}>
      {sent ? (
        <Notice>
          {tr(
            "Als dit adres bij ons bekend is, staat er nu een mail met een link klaar (30 minuten geldig).",
            "If we know this address, a mail with a link is on its way (valid for 30 minutes).",
          )}
        </Notice>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run();
          }}
        >
          <Field label={tr("E-mailadres", "Email address")} type="email" autoComplete="email" required value={email} onValue={setEmail} />
          <ErrorBox error={error} />
          <button class="primary" type="submit" disabled={busy}>
            {tr("Stuur een link", "Send a link")}
          </button>
        </form>
      )}
      <p>
        <a {...linkProps("login")}>{tr("Terug naar inloggen", "Back to log in")}</a>
      </p>
    </Screen>
  );
}

export function ResetPassword(props: { token: string | null }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction(async () => {
    must(await api.POST("/api/v1/auth/password-reset/confirm", { body: { token: props.token ?? "", new_password: password } }));
    setTokens(null); // every session ended
    setDone(true);
  });
  return (
    <Screen title={tr("Nieuw wachtwoord", "New password")}>
      {done ? (
        <>
          <Notice>{tr("Je wachtwoord is gewijzigd. Log opnieuw in.", "Your password has been changed. Log in again.")}</Notice>
          <a class="button primary" {...linkProps("login")}>
            {tr("Inloggen", "Log in")}
          </a>
        </>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run();
          }}
        >
          <Field
            label={tr("Nieuw wachtwoord", "New password")}
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={password}
            onValue={setPassword}
          />
          <ErrorBox error={error} />
          <button class="primary" type="submit" disabled={busy || !props.token}>
            {tr("Opslaan", "Save")}
          </button>
        </form>
      )}
    </Screen>
  );
}
