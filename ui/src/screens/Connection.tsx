// Connection screen: profiles (add / edit / remove / test), secret key kept in the system keychain.
import { useCallback, useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { ConnectionInfo } from "../bindings/ConnectionInfo";
import type { Profile } from "../bindings/Profile";
import type { ProfileDraft } from "../bindings/ProfileDraft";
import { ErrorBanner, Field, Modal } from "../components/ui";
import { useT } from "../i18n";
import { api } from "../ipc";

const DEFAULT_ENDPOINT = "https://hub-api.isahit.com/";

type Editing = { mode: "add" } | { mode: "edit"; profile: Profile } | null;

export function ConnectionScreen({
  current,
  initialError,
  onConnected,
  onDisconnected,
}: {
  current: ConnectionInfo | null;
  initialError: AppError | null;
  onConnected: (c: ConnectionInfo) => void;
  onDisconnected: () => void;
}) {
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [error, setError] = useState<AppError | null>(initialError);
  const [busy, setBusy] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Profile | null>(null);
  const t = useT();

  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    api.listProfiles().then(
      (l) => live && setProfiles(l.profiles),
      (e: AppError) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [tick]);

  async function connect(p: Profile) {
    setBusy(p.id);
    setError(null);
    setNotice(null);
    try {
      onConnected(await api.connect(p.id));
    } catch (e) {
      setError(e as AppError);
    } finally {
      setBusy(null);
    }
  }

  async function remove(p: Profile) {
    setConfirming(null);
    setError(null);
    try {
      await api.removeProfile(p.id);
      if (current?.profile.id === p.id) onDisconnected();
      setNotice(t("connection.removed", { name: p.name }));
      reload();
    } catch (e) {
      setError(e as AppError);
    }
  }

  return (
    <div className="narrow stack">
      <h1>{t("connection.title")}</h1>
      <p className="muted">{t("connection.intro")}</p>
      <ErrorBanner error={error} />
      {notice && (
        <div className="banner ok" role="status">
          {notice}
        </div>
      )}
      <section className="card" aria-labelledby="profiles-h">
        <h2 id="profiles-h" style={{ marginTop: 0 }}>
          {t("connection.profiles")}
        </h2>
        <ul className="profile-list">
          {profiles.map((p) => (
            <li key={p.id} data-testid={`profile-${p.name}`}>
              <div className="who">
                <div className="name">
                  {p.builtin ? t("connection.builtInName") : p.name}{" "}
                  {current?.profile.id === p.id && <span className="badge current">{t("connection.connected")}</span>}
                  {p.builtin && <span className="badge">{t("connection.builtIn")}</span>}
                </div>
                <div className="muted small">
                  {p.builtin
                    ? t("connection.builtInHint")
                    : t("connection.remoteHint", { endpoint: p.endpoint, accessId: p.accessId })}
                </div>
              </div>
              <button className="primary" onClick={() => void connect(p)} disabled={busy !== null}>
                {busy === p.id ? t("connection.connecting") : t("connection.connect")}
              </button>
              {!p.builtin && (
                <>
                  <button onClick={() => setEditing({ mode: "edit", profile: p })} aria-label={t("connection.editNamed", { name: p.name })}>
                    {t("connection.edit")}
                  </button>
                  <button className="danger" onClick={() => setConfirming(p)} aria-label={t("connection.removeNamed", { name: p.name })}>
                    {t("connection.remove")}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
        {!editing && (
          <p>
            <button onClick={() => setEditing({ mode: "add" })} data-testid="add-profile">{t("connection.add")}</button>
          </p>
        )}
      </section>
      {confirming && (
        <Modal
          title={t("connection.confirmTitle")}
          onClose={() => setConfirming(null)}
          footer={
            <>
              <button onClick={() => setConfirming(null)}>{t("connection.keep")}</button>
              <button className="primary" onClick={() => void remove(confirming)}>
                {t("connection.remove")}
              </button>
            </>
          }
        >
          <p>{t("connection.confirmText", { name: confirming.name })}</p>
        </Modal>
      )}
      {editing && (
        <ProfileForm
          key={editing.mode === "edit" ? editing.profile.id : "add"}
          editing={editing}
          onCancel={() => setEditing(null)}
          onSaved={async (p, connectNow) => {
            setEditing(null);
            setNotice(t("connection.saved", { name: p.name }));
            reload();
            if (connectNow) await connect(p);
          }}
        />
      )}
    </div>
  );
}

function ProfileForm({
  editing,
  onCancel,
  onSaved,
}: {
  editing: NonNullable<Editing>;
  onCancel: () => void;
  onSaved: (p: Profile, connectNow: boolean) => Promise<void>;
}) {
  const existing = editing.mode === "edit" ? editing.profile : null;
  const [draft, setDraft] = useState<ProfileDraft>({
    name: existing?.name ?? "",
    endpoint: existing?.endpoint ?? DEFAULT_ENDPOINT,
    accessId: existing?.accessId ?? "",
    secretKey: "",
  });
  const [error, setError] = useState<AppError | null>(null);
  const [tested, setTested] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const t = useT();

  const set = (k: keyof ProfileDraft) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setDraft({ ...draft, [k]: e.target.value });
    setTested(null);
  };

  async function test() {
    setBusy(true);
    setError(null);
    setTested(null);
    try {
      await api.testConnection(existing?.id ?? null, draft);
      setTested(t("connection.tested"));
    } catch (e) {
      setError(e as AppError);
    } finally {
      setBusy(false);
    }
  }

  async function save(connectNow: boolean) {
    setBusy(true);
    setError(null);
    try {
      const p = existing ? await api.updateProfile(existing.id, draft) : await api.addProfile(draft);
      await onSaved(p, connectNow);
    } catch (e) {
      setError(e as AppError);
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="pf-h">
      <h2 id="pf-h" style={{ marginTop: 0 }}>
        {existing ? t("connection.editTitle", { name: existing.name }) : t("connection.addTitle")}
      </h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save(true);
        }}
      >
        <Field label={t("connection.name")} hint={t("connection.nameHint")}>
          {(p) => <input type="text" {...p} name="name" value={draft.name} onChange={set("name")} autoFocus />}
        </Field>
        <Field label={t("connection.endpoint")} hint={t("connection.endpointHint")}>
          {(p) => <input type="url" {...p} name="endpoint" value={draft.endpoint} onChange={set("endpoint")} />}
        </Field>
        <Field label={t("connection.accessId")}>
          {(p) => (
            <input type="text" {...p} name="accessId" value={draft.accessId} onChange={set("accessId")} autoComplete="off" />
          )}
        </Field>
        <Field
          label={t("connection.secretKey")}
          hint={existing ? t("connection.secretKeep") : t("connection.secretNew")}
        >
          {(p) => (
            <input
              type="password"
              {...p}
              name="secretKey"
              value={draft.secretKey}
              onChange={set("secretKey")}
              autoComplete="off"
            />
          )}
        </Field>
        <ErrorBanner error={error} />
        {tested && (
          <div className="banner ok" role="status">
            {tested}
          </div>
        )}
        <div className="row">
          <button type="button" onClick={() => void test()} disabled={busy}>
            {t("connection.test")}
          </button>
          <span className="spacer" />
          <button type="button" onClick={onCancel} disabled={busy}>
            {t("common.cancel")}
          </button>
          <button type="button" onClick={() => void save(false)} disabled={busy}>
            {t("connection.save")}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {t("connection.saveConnect")}
          </button>
        </div>
      </form>
    </section>
  );
}
