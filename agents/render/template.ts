/**
 * Compile a Handlebars template in its own environment (no global helpers/partials) and render it with
 * shoal's helpers. Output is not HTML-escaped: safety comes from the model (validated tokens) and from the
 * helpers (which refuse unsafe values). Errors become TemplateError; the caller keeps the live file.
 */
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

export interface Rendered {
  text: string;
  /** Values the helpers refused to print. */
  unsafe: Unsafe[];
}

export type CompiledTemplate = (ctx: RenderContext, entries: readonly KV[], env: NodeJS.ProcessEnv) => Rendered;

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
  return (ctx, entries, env) => {
    const unsafe: Unsafe[] = [];
    const shoal: HelperData = {
      entries,
      services: ctx.services,
      env,
      onUnsafe: (what, reason) => unsafe.push({ what, reason }),
    };
    try {
      const text = tpl(ctx, {
        data: { shoal },
        allowProtoPropertiesByDefault: false,
        allowProtoMethodsByDefault: false,
      });
      return { text, unsafe };
    } catch (e) {
      throw new TemplateError(source, (e as Error).message, e);
    }
  };
}
