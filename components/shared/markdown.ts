/**
 * Safe Markdown for model output (loaded lazily: marked + DOMPurify stay out of the first load).
 *
 * The whole buffer is parsed and sanitised on every update, so a half-streamed tag can never slip
 * through. Links open in a new tab with `rel="noopener noreferrer"`; only http(s), mailto and tel links
 * survive; remote images are dropped unless the host allows them (data: images are kept).
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

export interface MarkdownOptions {
  allowRemoteImages?: boolean;
}

const marked = new Marked({ gfm: true, breaks: true, async: false });
const purifier = DOMPurify(window);
const SAFE_LINK = /^(?:https?:|mailto:|tel:|#|\/(?!\/))/i;
let allowRemoteImages = false;

purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_LINK.test(href.trim())) node.removeAttribute('href');
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src') ?? '';
    const remote = !/^data:image\/(?:png|jpeg|gif|webp);/i.test(src);
    if (remote && !allowRemoteImages) {
      const alt = node.getAttribute('alt') ?? '';
      node.replaceWith(document.createTextNode(alt ? `[image: ${alt}]` : '[image]'));
    } else {
      node.setAttribute('loading', 'lazy');
      node.setAttribute('referrerpolicy', 'no-referrer');
    }
  }
});

const CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    'style',
    'form',
    'input',
    'button',
    'textarea',
    'select',
    'iframe',
    'object',
    'embed',
    'svg',
    'math',
  ],
  FORBID_ATTR: ['style', 'srcset', 'formaction'],
  ALLOW_DATA_ATTR: false,
};

/** Markdown -> sanitised HTML string. */
export function renderMarkdown(markdown: string, options: MarkdownOptions = {}): string {
  const html = marked.parse(markdown) as string;
  allowRemoteImages = options.allowRemoteImages === true;
  try {
    return purifier.sanitize(html, CONFIG);
  } finally {
    allowRemoteImages = false;
  }
}
