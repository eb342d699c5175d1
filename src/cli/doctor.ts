/** `trelu doctor`: what can run here, and how to get what is missing. */
import { doctor } from '../runtime/doctor.js';
import { printJson, type Io } from './output.js';

export async function doctorCommand(io: Io, options: { json?: boolean }): Promise<number> {
  const r = await doctor();
  if (options.json) {
    printJson(io, r);
    return 0;
  }
  io.out('versions');
  for (const [k, v] of Object.entries(r.versions)) io.out(`  ${k.padEnd(18)}${v}`);
  io.out(`onnxruntime-node lists: ${r.bundled.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ') || '-'}`);
  io.out('execution providers');
  for (const e of r.eps) {
    io.out(`  ${e.name.padEnd(9)} ${e.usable ? 'usable' : 'not usable'}  (${e.runtime})${e.usable ? '' : `: ${e.reason}`}`);
    if (!e.usable && e.hint) io.out(`  ${' '.repeat(9)} hint: ${e.hint}`);
  }
  io.out(`webgpu adapter: ${r.webgpuAdapter}`);
  io.out(`cuda: ORT CUDA EP library ${r.cuda.providerLibrary ? 'present' : 'missing'}; ${Object.entries(r.cuda.libraries).map(([l, ok]) => `${l} ${ok ? 'found' : 'missing'}`).join(', ')}`);
  if (r.cuda.hint) io.out(`  to get CUDA: ${r.cuda.hint}`);
  return 0;
}
