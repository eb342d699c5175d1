/** The fuzz worker: runs each input it is sent through the pipeline and answers with the outcome and its memory. */
import { runPipeline } from './pipeline.js';

process.on('message', (msg: { id: number; bytes: Uint8Array }) => {
  const outcome = runPipeline(new Uint8Array(msg.bytes));
  process.send!({ id: msg.id, outcome, rss: process.memoryUsage().rss });
});
process.on('disconnect', () => process.exit(0));
