// My profile: everything the deck's ranking uses, with pickers from GET /vocabulary; my photo.
import { useEffect, useState } from "preact/hooks";
import { api, authedFetch, ApiError, must, type Schemas } from "../api";
import { label, monthName, tr } from "../i18n";
import { navigate } from "../router";
import { me, useStore, useVocabulary } from "../store";
import { Avatar, Chips, ErrorBox, Field, Notice, Screen, Select, TextArea, useAction } from "../ui";

type Own = Schemas["ProfileOwn"];
type Mode = "subject" | "surprise" | "balanced";
type Weights = Schemas["Weights"];

const MODES: { value: Mode; nl: string; en: string }[] = [
  { value: "subject", nl: "Vakinhoudelijk: iemand uit mijn vakgebied", en: "Subject: someone from my field" },
  { value: "surprise", nl: "Verrassingsmatch: juist een andere wereld", en: "Surprise: a different world on purpose" },
  { value: "balanced", nl: "Allebei", en: "Both" },
];

type Form = {
  headline: string;
  organisation: string;
  organisation_type: string;
  bio: string;
  subjects: string[];
  education: string;
  place: string;
  max_travel_km: string;
  hours_per_month: string;
  available_months: number[];
  duration_months: string;
  goals: string[];
  outcomes: string[];
  motivation: string;
  match_mode: Mode;
  own_weights: boolean;
  weights: Weights;
  manager_approval: boolean;
  confidentiality: string;
  contact_email: string;
  contact_phone: string;
  contact_linkedin: string;
  discoverable: boolean;
};

function formFrom(profile: Own | null | undefined): Form {
  return {
    headline: profile?.headline ?? "",
    organisation: profile?.organisation ?? "",
    organisation_type: profile?.organisation_type ?? "",
    bio: profile?.bio ?? "",
    subjects: profile?.subjects ?? [],
    education: profile?.education ?? "",
    place: profile?.place ?? "",
    max_travel_km: String(profile?.max_travel_km ?? 30),
    hours_per_month: profile?.hours_per_month != null ? String(profile.hours_per_month) : "",
    available_months: profile?.available_months ?? [],
    duration_months: String(profile?.duration_months ?? 4),
    goals: profile?.goals ?? [],
    outcomes: profile?.outcomes ?? [],
    motivation: profile?.motivation ?? "",
    match_mode: profile?.match_mode ?? "balanced",
    own_weights: profile?.weights_explicit ?? false,
    weights: profile?.weights ?? { subject: 0.4, motivation: 0.3, region: 0.2, availability: 0.1 },
    manager_approval: profile?.manager_approval ?? false,
    confidentiality: profile?.confidentiality ?? "",
    contact_email: profile?.contact?.email ?? "",
    contact_phone: profile?.contact?.phone ?? "",
    contact_linkedin: profile?.contact?.linkedin_url ?? "",
    discoverable: profile?.discoverable ?? true,
  };
}

const orNull = (value: string) => (value.trim() ? value.trim() : null);

function body(form: Form): Schemas["ProfilePut"] {
  const contact = {
    email: orNull(form.contact_email),
    phone: orNull(form.contact_phone),
    linkedin_url: orNull(form.contact_linkedin),
  };
  return {
    headline: orNull(form.headline),
    organisation: orNull(form.organisation),
    organisation_type: orNull(form.organisation_type),
    bio: orNull(form.bio),
    subjects: form.subjects,
    education: orNull(form.education),
    place: orNull(form.place),
    max_travel_km: Number(form.max_travel_km),
    hours_per_month: form.hours_per_month ? Number(form.hours_per_month) : null,
    available_months: [...form.available_months].sort((a, b) => a - b),
    duration_months: Number(form.duration_months),
    goals: form.goals,
    outcomes: form.outcomes,
    motivation: orNull(form.motivation),
    match_mode: form.match_mode,
    weights: form.own_weights ? form.weights : null,
    manager_approval: form.manager_approval,
    confidentiality: orNull(form.confidentiality),
    contact: contact.email || contact.phone || contact.linkedin_url ? contact : null,
    discoverable: form.discoverable,
  };
}

export function Profile() {
  const account = useStore(me);
  const vocabulary = useVocabulary();
  const [form, setForm] = useState<Form>(() => formFrom(account?.profile));
  const [saved, setSaved] = useState(false);
  useEffect(() => setForm(formFrom(account?.profile)), [account?.profile?.updated_at]);
  const set = <K extends keyof Form>(key: K) => (value: Form[K]) => {
    setSaved(false);
    setForm((old) => ({ ...old, [key]: value }));
  };
  const side = account?.side ?? "teacher";
  const { busy, error, run } = useAction(async () => {
    const profile = must(await api.PUT("/api/v1/me/profile", { body: body(form) }));
    if (account) me.set({ ...account, profile });
    setSaved(true);
    if (profile.complete && !account?.profile?.complete) navigate("deck");
  });
  if (!account || !vocabulary) return <Screen title={tr("Mijn profiel", "My profile")}>{<Notice>{tr("Laden…", "Loading…")}</Notice>}</Screen>;
  const fieldError = (name: string) => (error instanceof ApiError ? error.field(name) : undefined);
  const profile = account.profile;
  return (
    <Screen title={tr("Mijn profiel", "My profile")}>
      {profile && !profile.complete && (
        <Notice>
          {tr("Nog nodig voor de stapel: ", "Still needed for the deck: ")}
          {profile.missing.join(", ")}
        </Notice>
      )}
      <PhotoPicker name={account.name} photo={profile?.photo ?? null} />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <Field label={tr("Functie", "Job title")} required maxLength={120} value={form.headline} onValue={set("headline")} error={fieldError("headline")}
          hint={side === "teacher" ? tr("Bijv. Docent natuurkunde", "E.g. Physics teacher") : tr("Bijv. Ingenieur tramonderhoud", "E.g. Tram maintenance engineer")} />
        <Field label={side === "teacher" ? tr("School", "School") : tr("Organisatie", "Organisation")} required maxLength={120} value={form.organisation} onValue={set("organisation")} />
        <Select
          label={side === "teacher" ? tr("Schooltype", "School type") : tr("Sector", "Sector")}
          value={form.organisation_type}
          onValue={set("organisation_type")}
          placeholder={tr("— kies —", "— choose —")}
          options={vocabulary.organisation_types.filter((item) => !item.side || item.side === side).map((item) => ({ value: item.code, label: label(item) }))}
        />
        <Select
          label={tr("Plaats", "Place")}
          required
          value={form.place}
          onValue={set("place")}
          placeholder={tr("— kies je plaats —", "— choose your place —")}
          options={vocabulary.places.map((place) => ({ value: place.code, label: place.name }))}
        />
        <Field label={tr("Maximale reisafstand (km)", "Maximum travel distance (km)")} type="number" min={1} max={300} required value={form.max_travel_km} onValue={set("max_travel_km")} />
        <Chips
          legend={tr("Vakgebieden (1 tot 10)", "Subject fields (1 to 10)")}
          max={10}
          options={vocabulary.subjects.map((item) => ({ value: item.code, label: label(item) }))}
          selected={form.subjects}
          onChange={set("subjects")}
        />
        <Field label={tr("Uren per maand", "Hours per month")} type="number" min={1} max={40} step="0.5" required value={form.hours_per_month} onValue={set("hours_per_month")} />
        <Chips
          legend={tr("Beschikbare maanden", "Months available")}
          options={Array.from({ length: 12 }, (_, index) => ({ value: index + 1, label: monthName(index + 1) }))}
          selected={form.available_months}
          onChange={set("available_months")}
        />
        <Select
          label={tr("Gewenste duur", "Preferred length")}
          value={form.duration_months}
          onValue={set("duration_months")}
          options={[3, 4, 5, 6].map((months) => ({ value: String(months), label: `${months} ${tr("maanden", "months")}` }))}
        />
        <Chips
          legend={tr("Leerdoelen", "Learning goals")}
          options={vocabulary.goals.filter((goal) => !goal.sides || goal.sides.includes(side)).map((item) => ({ value: item.code, label: label(item) }))}
          selected={form.goals}
          onChange={set("goals")}
        />
        <Chips
          legend={tr("Verwachte opbrengsten", "Expected outcomes")}
          options={vocabulary.outcomes.map((item) => ({ value: item.code, label: label(item) }))}
          selected={form.outcomes}
          onChange={set("outcomes")}
        />
        <fieldset class="modes">
          <legend>{tr("Wat voor match zoek je?", "What kind of match are you looking for?")}</legend>
          {MODES.map((mode) => (
            <label key={mode.value} class="radio">
              <input type="radio" name="match_mode" value={mode.value} checked={form.match_mode === mode.value} onChange={() => set("match_mode")(mode.value)} />
              {tr(mode.nl, mode.en)}
            </label>
          ))}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={form.own_weights} onChange={(event) => set("own_weights")((event.target as HTMLInputElement).checked)} />
          {tr("Zelf bepalen wat telt", "Choose what counts myself")}
        </label>
        {form.own_weights && (
          <fieldset class="weights">
            <legend>{tr("Hoe zwaar telt…", "How much counts…")}</legend>
            {(
              [
                ["subject", tr("Vakinhoud", "Subject")],
                ["motivation", tr("Motivatie en doelen", "Motivation and goals")],
                ["region", tr("Regio", "Region")],
                ["availability", tr("Beschikbaarheid", "Availability")],
              ] as const
            ).map(([key, text]) => (
              <Field
                key={key}
                label={text}
                type="range"
                min={0}
                max={1}
                step="0.1"
                value={String(form.weights[key])}
                onValue={(value) => setForm((old) => ({ ...old, weights: { ...old.weights, [key]: Number(value) } }))}
              />
            ))}
          </fieldset>
        )}
        <TextArea label={tr("Over mij", "About me")} maxLength={2000} value={form.bio} onValue={set("bio")} />
        <TextArea label={tr("Motivatie", "Motivation")} maxLength={2000} value={form.motivation} onValue={set("motivation")} />
        <Field label={tr("Opleiding", "Education")} maxLength={120} value={form.education} onValue={set("education")} />
        <label class="check">
          <input type="checkbox" checked={form.manager_approval} onChange={(event) => set("manager_approval")((event.target as HTMLInputElement).checked)} />
          {tr("Mijn leidinggevende is akkoord", "My manager agrees")}
        </label>
        <TextArea label={tr("Vertrouwelijkheid (wat mag niet gedeeld worden)", "Confidentiality (what must not be shared)")} maxLength={500} value={form.confidentiality} onValue={set("confidentiality")} />
        <fieldset>
          <legend>{tr("Contact (alleen voor je match)", "Contact (only for your match)")}</legend>
          <Field label={tr("E-mail voor je match", "Email for your match")} type="email" value={form.contact_email} onValue={set("contact_email")} error={fieldError("email")} />
          <Field label={tr("Telefoon", "Phone")} type="tel" value={form.contact_phone} onValue={set("contact_phone")} error={fieldError("phone")} />
          <Field label="LinkedIn" type="url" value={form.contact_linkedin} onValue={set("contact_linkedin")} error={fieldError("linkedin_url")} />
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={form.discoverable} onChange={(event) => set("discoverable")((event.target as HTMLInputElement).checked)} />
          {tr("Zichtbaar in de stapel van anderen", "Visible in other people's decks")}
        </label>
        <ErrorBox error={error} />
        {saved && <Notice>{tr("Opgeslagen.", "Saved.")}</Notice>}
        <button class="primary" type="submit" disabled={busy}>
          {tr("Profiel opslaan", "Save profile")}
        </button>
      </form>
    </Screen>
  );
}

function PhotoPicker(props: { name: string; photo: Schemas["Photo"] | null }) {
  const account = useStore(me);
  const { busy, error, run } = useAction(async (file: File | null) => {
    let response: Response;
    if (file) {
      const data = new FormData();
      data.append("file", file);
      response = await authedFetch(new Request("/api/v1/me/photo", { method: "PUT", body: data }));
    } else {
      response = await authedFetch(new Request("/api/v1/me/photo", { method: "DELETE" }));
    }
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const profile = response.status === 204 ? null : ((await response.json()) as Own);
    if (account?.profile) me.set({ ...account, profile: profile ?? { ...account.profile, photo: null } });
  });
  return (
    <div class="photo-picker">
      <Avatar name={props.name} url={props.photo?.thumbnail_url} size="large" />
      <div>
        <label class="button" for="photo-input">
          {props.photo ? tr("Andere foto", "Change photo") : tr("Foto kiezen", "Choose a photo")}
        </label>
        <input
          id="photo-input"
          class="visually-hidden"
          type="file"
          accept="image/jpeg,image/png,image/webp"
          disabled={busy || !account?.profile}
          onChange={(event) => {
            const file = (event.target as HTMLInputElement).files?.[0];
            if (file) void run(file);
          }}
        />
        {props.photo && (
          <button type="button" class="quiet" disabled={busy} onClick={() => void run(null)}>
            {tr("Foto verwijderen", "Remove photo")}
          </button>
        )}
        {!account?.profile && <p class="hint">{tr("Sla eerst je profiel op.", "Save your profile first.")}</p>}
        <ErrorBox error={error} />
      </div>
    </div>
  );
}
