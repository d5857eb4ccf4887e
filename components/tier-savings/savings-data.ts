/** What `<tier-savings>` draws: summaries for today, 7 and 30 days, read from a Ledger. */
import type { Ledger } from '../../src/ledger/ledger.ts';
import type { Summary } from '../../src/ledger/summary.ts';

export interface SavingsData {
  today: Summary;
  week: Summary;
  month: Summary;
}

export async function loadSavingsData(ledger: Ledger): Promise<SavingsData> {
  const [today, week, month] = await ledger.summaries(['today', '7d', '30d']);
  return { today: today!, week: week!, month: month! };
}
