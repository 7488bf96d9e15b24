/**
 * Compile a Handlebars template in its own environment (no global helpers/partials) and render it with
 * shoal's helpers. Output is not HTML-escaped: safety comes from the model (validated tokens) and from the
 * helpers (which refuse unsafe values). Errors become TemplateError; the caller keeps the live file.
 */
import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import { ShoalError } from '../common/errors.js';
import type { KV } from '../store/store.js';
import type { RenderContext } from './context.js';
import { helpers, type HelperData } from './helpers.js';

export class TemplateError extends ShoalError {
  constructor(source: string, message: string, cause?: unknown) {
    super('SHOAL_TEMPLATE_ERROR', `template ${source}: ${message}`, { cause });
  }
}

export interface Unsafe {
  what: string;
  reason: string;
}

export interface SideFile {
  path: string;
  text: string;
}

export interface Rendered {
  text: string;
  /** Files the config names (`sidefile` blocks), to be on disk before it is checked. */
  files: SideFile[];
  /** Values the helpers refused to print. */
  unsafe: Unsafe[];
}

export type CompiledTemplate = (
  ctx: RenderContext,
  entries: readonly KV[],
  env: NodeJS.ProcessEnv,
  /** The destination: side files go beside it (`<destination>.<hash>.<name>`); relative names without it. */
  destination?: string,
) => Rendered;

export function sideFilePath(destination: string | undefined, name: string, text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return destination === undefined ? `${hash}.${name}` : `${destination}.${hash}.${name}`;
}

export function compileTemplate(text: string, source: string): CompiledTemplate {
  const hb = Handlebars.create();
  hb.registerHelper(helpers);
  let tpl: Handlebars.TemplateDelegate;
  try {
    tpl = hb.compile(text, { noEscape: true, strict: false, preventIndent: true });
    // compile() is lazy: force parsing now so a syntax error surfaces before any render
    hb.precompile(text, { noEscape: true });
  } catch (e) {
    throw new TemplateError(source, (e as Error).message, e);
  }
  return (ctx, entries, env, destination) => {
    const unsafe: Unsafe[] = [];
    const files: SideFile[] = [];
    const shoal: HelperData = {
      entries,
      services: ctx.services,
      env,
      onUnsafe: (what, reason) => unsafe.push({ what, reason }),
      sideFile: (name, text) => {
        const p = sideFilePath(destination, name, text);
        if (!files.some((f) => f.path === p)) files.push({ path: p, text });
        return p;
      },
    };
    try {
      const text = tpl(ctx, {
        data: { shoal },
        allowProtoPropertiesByDefault: false,
        allowProtoMethodsByDefault: false,
      });
      return { text, files, unsafe };
    } catch (e) {
      throw new TemplateError(source, (e as Error).message, e);
    }
  };
}
