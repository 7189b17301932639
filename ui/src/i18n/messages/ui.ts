// Shared building blocks (components/ui.tsx): error titles, task statuses — owner: a11y.
import type { Area } from "../index";

const en = {
  "ui.error.wrongCredentials": "Wrong credentials.",
  "ui.error.expired": "Session expired.",
  "ui.error.unreachable": "Cannot reach the server.",
  "ui.error.keychain": "Keychain problem.",
  "ui.error.forbidden": "Not allowed.",
  "ui.error.notFound": "Not found.",
  "ui.error.badInput": "Please check your input.",
  "ui.error.server": "Server problem.",
  "ui.error.cancelled": "Cancelled.",
  "ui.error.notConnected": "Not connected.",
  "ui.error.other": "Something went wrong.",
  "ui.status.pending": "Pending",
  "ui.status.complete": "Complete",
  "ui.status.toReview": "To review",
  "ui.status.reviewed": "Reviewed",
  "ui.status.configuring": "Configuring",
} satisfies Area<string>["en"];

export const ui: Area<keyof typeof en> = {
  en,
  fr: {
    "ui.error.wrongCredentials": "Identifiants incorrects.",
    "ui.error.expired": "Session expirée.",
    "ui.error.unreachable": "Impossible de joindre le serveur.",
    "ui.error.keychain": "Problème avec le trousseau de clés.",
    "ui.error.forbidden": "Action non autorisée.",
    "ui.error.notFound": "Introuvable.",
    "ui.error.badInput": "Veuillez vérifier votre saisie.",
    "ui.error.server": "Problème côté serveur.",
    "ui.error.cancelled": "Annulé.",
    "ui.error.notConnected": "Non connecté.",
    "ui.error.other": "Une erreur s’est produite.",
    "ui.status.pending": "En attente",
    "ui.status.complete": "Terminée",
    "ui.status.toReview": "À vérifier",
    "ui.status.reviewed": "Vérifiée",
    "ui.status.configuring": "En configuration",
  },
};
