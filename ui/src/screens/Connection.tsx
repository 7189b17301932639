// Connection screen: profiles (add / edit / remove / test), secret key kept in the system keychain.
import { useCallback, useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { ConnectionInfo } from "../bindings/ConnectionInfo";
import type { Profile } from "../bindings/Profile";
import type { ProfileDraft } from "../bindings/ProfileDraft";
import { ErrorBanner, Field, Modal } from "../components/ui";
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
      setNotice(`Profile "${p.name}" removed.`);
      reload();
    } catch (e) {
      setError(e as AppError);
    }
  }

  return (
    <div className="narrow stack">
      <h1>Connection</h1>
      <p className="muted">
        Choose where Lab Desk works. Secret keys are kept in your system keychain, never in files.
      </p>
      <ErrorBanner error={error} />
      {notice && (
        <div className="banner ok" role="status">
          {notice}
        </div>
      )}
      <section className="card" aria-labelledby="profiles-h">
        <h2 id="profiles-h" style={{ marginTop: 0 }}>
          Profiles
        </h2>
        <ul className="profile-list">
          {profiles.map((p) => (
            <li key={p.id} data-testid={`profile-${p.name}`}>
              <div className="who">
                <div className="name">
                  {p.name}{" "}
                  {current?.profile.id === p.id && <span className="badge current">Connected</span>}
                  {p.builtin && <span className="badge">Built in</span>}
                </div>
                <div className="muted small">
                  {p.builtin ? "Demo projects on this computer, no account needed" : `${p.endpoint} · access id ${p.accessId}`}
                </div>
              </div>
              <button className="primary" onClick={() => void connect(p)} disabled={busy !== null}>
                {busy === p.id ? "Connecting…" : "Connect"}
              </button>
              {!p.builtin && (
                <>
                  <button onClick={() => setEditing({ mode: "edit", profile: p })} aria-label={`Edit ${p.name}`}>
                    Edit
                  </button>
                  <button className="danger" onClick={() => setConfirming(p)} aria-label={`Remove ${p.name}`}>
                    Remove
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
        {!editing && (
          <p>
            <button onClick={() => setEditing({ mode: "add" })}>Add a profile…</button>
          </p>
        )}
      </section>
      {confirming && (
        <Modal
          title="Remove this profile?"
          onClose={() => setConfirming(null)}
          footer={
            <>
              <button onClick={() => setConfirming(null)}>Keep it</button>
              <button className="primary" onClick={() => void remove(confirming)}>
                Remove
              </button>
            </>
          }
        >
          <p>
            The profile “{confirming.name}” will be removed and its secret key deleted from the system keychain.
          </p>
        </Modal>
      )}
      {editing && (
        <ProfileForm
          key={editing.mode === "edit" ? editing.profile.id : "add"}
          editing={editing}
          onCancel={() => setEditing(null)}
          onSaved={async (p, connectNow) => {
            setEditing(null);
            setNotice(`Profile "${p.name}" saved. The secret key is in the system keychain.`);
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
      setTested("Connection works: the server accepted these credentials.");
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
        {existing ? `Edit "${existing.name}"` : "Add a profile"}
      </h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save(true);
        }}
      >
        <Field label="Profile name" hint="Any name that helps you recognise it, e.g. “Production”.">
          {(p) => <input type="text" {...p} name="name" value={draft.name} onChange={set("name")} autoFocus />}
        </Field>
        <Field label="Endpoint" hint="The lab API address. Keep the default unless told otherwise.">
          {(p) => <input type="url" {...p} name="endpoint" value={draft.endpoint} onChange={set("endpoint")} />}
        </Field>
        <Field label="Access id">
          {(p) => (
            <input type="text" {...p} name="accessId" value={draft.accessId} onChange={set("accessId")} autoComplete="off" />
          )}
        </Field>
        <Field
          label="Secret key"
          hint={existing ? "Leave empty to keep the secret key already in the keychain." : "Stored in the system keychain only."}
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
            Test connection
          </button>
          <span className="spacer" />
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="button" onClick={() => void save(false)} disabled={busy}>
            Save
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Save and connect
          </button>
        </div>
      </form>
    </section>
  );
}
