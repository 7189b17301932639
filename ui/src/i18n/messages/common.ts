// Strings shared by every screen.
import { plural, type Area } from "../format";

const en = {
  "common.cancel": "Cancel",
  "common.close": "Close",
  "common.retry": "Try again",
  "common.tasks": (v) => plural(Number(v.count), "# task", "# tasks"),
} satisfies Area<string>["en"];

export const common: Area<keyof typeof en> = {
  en,
  fr: {
    "common.cancel": "Annuler",
    "common.close": "Fermer",
    "common.retry": "Réessayer",
    "common.tasks": (v) => plural(Number(v.count), "# tâche", "# tâches"),
  },
};
