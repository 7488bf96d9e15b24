/**
 * Preload (`node --import ./module-trace.mjs`) that appends every module the process loads to
 * $SHOAL_MODULE_TRACE, one per line: ESM through a loader hook, CommonJS through Module._load (a CommonJS
 * package's own require() calls do not pass the ESM hooks). Tests only.
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.SHOAL_MODULE_TRACE;
if (file) {
  const hook = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(file)}, url + '\\n');
  return next(url, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const out = load.call(this, request, parent, isMain);
    try {
      appendFileSync(file, `${Module._resolveFilename(request, parent)}\n`);
    } catch {
      // a builtin or an unresolvable name: nothing to record
    }
    return out;
  };
}
