/**
 * A small, uniform view over fast-xml-parser's output: every element is an XmlElement whose child
 * elements are always arrays, attributes are `@_name`, text is `#text`. Prefixes are kept as
 * written (`hk:tags`) so callers can resolve namespaces themselves where they matter (<metadata>).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { HyperkeepError } from '../../../../shared/errors';

export type XmlElement = { readonly [key: string]: unknown };

const ATTR = '@_';
const TEXT = '#text';
/** Domain XML is a dozen levels deep; anything far deeper is not libvirt's. */
const MAX_DEPTH = 64;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  maxNestedTags: MAX_DEPTH,
});

/** Parses a document and returns its root element; `what` names it in errors. */
export function parseXmlDocument(xml: string, rootName: string, what: string): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `libvirt returned unreadable ${what}: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (err) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `libvirt returned unreadable ${what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const root = isElement(doc) ? children(doc, rootName)[0] : undefined;
  if (!root) {
    throw new HyperkeepError('HYPERVISOR_ERROR', `libvirt returned ${what} without <${rootName}>`);
  }
  return root;
}

function isElement(value: unknown): value is XmlElement {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Child elements named `name`, in document order. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  const value = el?.[name];
  return Array.isArray(value) ? value.filter(isElement) : [];
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return children(el, name)[0];
}

/** Every child element with its tag name (prefix kept), in document order per tag. */
export function elementEntries(el: XmlElement): [string, XmlElement][] {
  const out: [string, XmlElement][] = [];
  for (const [key, value] of Object.entries(el)) {
    if (key.startsWith(ATTR) || key === TEXT || !Array.isArray(value)) continue;
    for (const item of value) if (isElement(item)) out.push([key, item]);
  }
  return out;
}

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  const value = el?.[ATTR + name];
  return typeof value === 'string' ? value : undefined;
}

export function attributes(el: XmlElement): [string, string][] {
  return Object.entries(el)
    .filter((e): e is [string, string] => e[0].startsWith(ATTR) && typeof e[1] === 'string')
    .map(([k, v]) => [k.slice(ATTR.length), v]);
}

/** The element's own text, trimmed ('' when it has none). */
export function text(el: XmlElement | undefined): string {
  const value = el?.[TEXT];
  return typeof value === 'string' ? value.trim() : '';
}

/** Text of the first child named `name`, or undefined when absent or empty. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const t = text(child(el, name));
  return t === '' ? undefined : t;
}
