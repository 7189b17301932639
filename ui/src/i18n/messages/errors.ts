// Errors composed by the Rust side, shown in the user's language: the backend sends the key and
// its values with the English message (src-tauri/src/error.rs `AppError::keyed`); a key not
// found here falls back to that message — owner: ship.
import type { Area } from "../index";

const en = {
  "err.wrongCredentials": "The access id or the secret key is wrong. Check both in the profile and try again.",
  "err.expired": "Your session has expired or your key was revoked. Connect again from the connection screen.",
  "err.unreachable": "Lab Desk could not reach {host}. Check the endpoint address and your network, then try again.",
  "err.forbidden": "Your account is not allowed to do this. Ask the project owner for access.",
  "err.server": "The server had a problem ({detail}). Try again in a moment.",
  "err.cancelled": "Cancelled.",
  "err.notConnected": "You are not connected. Choose a profile on the connection screen.",
  "err.folderNotWritable": "Lab Desk may not write in {path}: the folder is not writable. Choose another folder.",
  "err.diskFull": "The disk is full while writing {path}. Free some space or choose a folder on another disk.",
  "err.folderGone": "The folder of {path} does not exist (any more). Choose another folder.",
  "err.isFolder": "{path} is a folder. Give a file name.",
  "err.cannotWrite": "Could not write {path}: {detail}. Choose another folder or try again.",
  "err.exportCancelled": "Export cancelled; nothing was written.",
  "err.nothingToExport": "No task matches: nothing to export. Change the filter or the selection.",
  "err.alreadyExists": "{path} already exists. Choose another name, or confirm to replace it.",
  "err.folderMissing": "The folder {folder} does not exist. Choose another folder.",
} satisfies Area<string>["en"];

export const errors: Area<keyof typeof en> = {
  en,
  fr: {
    "err.wrongCredentials": "L’identifiant d’accès ou la clé secrète n’est pas valide. Vérifiez-les dans le profil, puis réessayez.",
    "err.expired": "Votre session a expiré ou votre clé a été révoquée. Reconnectez-vous depuis l’écran de connexion.",
    "err.unreachable": "Lab Desk n’a pas pu joindre {host}. Vérifiez l’adresse du serveur et votre réseau, puis réessayez.",
    "err.forbidden": "Votre compte n’a pas le droit de faire cela. Demandez l’accès au propriétaire du projet.",
    "err.server": "Le serveur a rencontré un problème ({detail}). Réessayez dans un instant.",
    "err.cancelled": "Annulé.",
    "err.notConnected": "Vous n’êtes pas connecté. Choisissez un profil sur l’écran de connexion.",
    "err.folderNotWritable": "Lab Desk ne peut pas écrire dans {path}\u00a0: le dossier n’est pas accessible en écriture. Choisissez un autre dossier.",
    "err.diskFull": "Le disque est plein\u00a0: impossible d’écrire {path}. Libérez de la place ou choisissez un dossier sur un autre disque.",
    "err.folderGone": "Le dossier de {path} n’existe pas (ou plus). Choisissez un autre dossier.",
    "err.isFolder": "{path} est un dossier. Donnez un nom de fichier.",
    "err.cannotWrite": "Impossible d’écrire {path}\u00a0: {detail}. Choisissez un autre dossier ou réessayez.",
    "err.exportCancelled": "Export annulé\u00a0; rien n’a été écrit.",
    "err.nothingToExport": "Aucune tâche ne correspond\u00a0: rien à exporter. Modifiez le filtre ou la sélection.",
    "err.alreadyExists": "{path} existe déjà. Choisissez un autre nom ou confirmez son remplacement.",
    "err.folderMissing": "Le dossier {folder} n’existe pas. Choisissez un autre dossier.",
  },
};
