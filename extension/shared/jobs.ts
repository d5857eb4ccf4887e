/**
 * The job vocabulary the background (which runs and publishes jobs) and the side panel (which shows
 * them) share: where the latest job is kept in `chrome.storage.session`, each kind's title, and the
 * reason a handed-off triage shows while the panel's `<tier-triage>` works on it.
 */
import type { JobKind } from './messaging.ts';

/** `chrome.storage.session` key of the latest job (a panel opened later, or after a worker restart, still finds it). */
export const JOB_KEY = 'job:latest';

export const JOB_TITLES: Record<JobKind, string> = {
  'rewrite-clearer': 'Rewrite: clearer',
  'rewrite-shorter': 'Rewrite: shorter',
  'rewrite-polite': 'Rewrite: more polite',
  triage: 'Triage this ticket',
};

/** What the job line says while the side panel's element triages a handed-off ticket. */
export const HANDOFF_REASON =
  'Triaged in the panel below: the category by the classifier on this device, the other fields by the on-device model (when its download is allowed), escalated to your gateway when unsure.';
