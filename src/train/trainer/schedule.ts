/** Learning-rate schedules, per step (0-based), with linear warmup from 0. */
import { TreluError } from '../../errors.js';

export type LrSchedule = 'constant' | 'linear' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'linear', 'cosine'];

export function lrAt(step: number, total: number, base: number, schedule: LrSchedule, warmup = 0): number {
  if (!LR_SCHEDULES.includes(schedule)) throw new TreluError('E_USAGE', `unknown --lr-schedule '${schedule}'`, { hint: `choose from ${LR_SCHEDULES.join(', ')}` });
  if (step < warmup) return (base * (step + 1)) / warmup;
  const span = Math.max(1, total - warmup);
  const t = Math.min(1, (step - warmup) / span);
  if (schedule === 'linear') return base * (1 - t);
  if (schedule === 'cosine') return base * 0.5 * (1 + Math.cos(Math.PI * t));
  return base;
}
