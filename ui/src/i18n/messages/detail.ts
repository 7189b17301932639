// Task details drawer (screens/DetailDrawer.tsx) — owner: a11y.
import type { Area } from "../format";

const en = {
  "detail.label": "Task {name}",
  "detail.close": "Close the details",
  "detail.noData": "No data loaded.",
  "detail.noProperties": "No properties loaded.",
  "detail.noJobs": "No jobs loaded.",
  "detail.noTask": "No task loaded.",
  "detail.noPreview": "No preview: {message}",
  "detail.loadingPreview": "Loading preview…",
  "detail.previewOf": "Preview of {name}",
  "detail.resources": "Resources ({count})",
  "detail.noResource": "No resource.",
  "detail.show": "Show",
  "detail.data": "Data",
  "detail.properties": "Properties",
  "detail.jobs": "Jobs",
  "detail.whole": "Whole task as shown in this view",
  "detail.task": "Task",
} satisfies Area<string>["en"];

export const detail: Area<keyof typeof en> = {
  en,
  fr: {
    "detail.label": "Tâche {name}",
    "detail.close": "Fermer le détail",
    "detail.noData": "Aucune donnée chargée.",
    "detail.noProperties": "Aucune propriété chargée.",
    "detail.noJobs": "Aucun job chargé.",
    "detail.noTask": "Aucune tâche chargée.",
    "detail.noPreview": "Pas d’aperçu\u00a0: {message}",
    "detail.loadingPreview": "Chargement de l’aperçu…",
    "detail.previewOf": "Aperçu de {name}",
    "detail.resources": "Ressources ({count})",
    "detail.noResource": "Aucune ressource.",
    "detail.show": "Afficher",
    "detail.data": "Données",
    "detail.properties": "Propriétés",
    "detail.jobs": "Jobs",
    "detail.whole": "Tâche complète telle qu’affichée dans cette vue",
    "detail.task": "Tâche",
  },
};
