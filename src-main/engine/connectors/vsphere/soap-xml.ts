/**
 * SOAP XML for the vSphere Web Services API: a namespace-aware element tree over fast-xml-parser
 * (ordered output, prefixes resolved against the xmlns declarations in scope) and a small writer.
 * vCenter, ESX and govmomi's simulator spell xsi:type with different prefixes
 * (`xsi:type`, `XMLSchema-instance:type`), so a type is found by its namespace, never its prefix.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { HyperkeepError } from '../../../../shared/errors';

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const VIM_NS = 'urn:vim25';

/** vSphere objects nest a dozen levels; far deeper is not a vSphere reply. */
const MAX_DEPTH = 96;

export interface XmlNode {
  /** Local name, prefix removed. */
  readonly name: string;
  readonly ns: string | undefined;
  /** The xsi:type, its own prefix removed (`xsd:string` → `string`). */
  readonly xsiType: string | undefined;
  /** Attributes without a prefix (`type` of a ManagedObjectReference). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  readonly text: string;
}

type Ordered = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  maxNestedTags: MAX_DEPTH,
});

/** Parses a SOAP reply into its root element; `what` names the request in errors. */
export function parseSoapXml(xml: string, what: string): XmlNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `The vSphere server answered ${what} with unreadable XML: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  const items = parser.parse(xml) as unknown;
  const roots = Array.isArray(items) ? convertAll(items, new Map(), 0) : [];
  const root = roots[0];
  if (!root)
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `The vSphere server answered ${what} with no XML element`,
    );
  return root;
}

function convertAll(
  items: unknown[],
  scope: ReadonlyMap<string, string>,
  depth: number,
): XmlNode[] {
  if (depth > MAX_DEPTH) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `vSphere reply nests deeper than ${MAX_DEPTH} elements`,
    );
  }
  const out: XmlNode[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as Ordered;
    const tag = Object.keys(entry).find((k) => k !== ':@' && k !== '#text');
    if (tag === undefined || tag.startsWith('?')) continue;
    const rawAttrs = (entry[':@'] ?? {}) as Record<string, string>;
    const inner = new Map(scope);
    for (const [key, value] of Object.entries(rawAttrs)) {
      if (key === 'xmlns') inner.set('', value);
      else if (key.startsWith('xmlns:')) inner.set(key.slice(6), value);
    }
    const attrs: Record<string, string> = {};
    let xsiType: string | undefined;
    for (const [key, value] of Object.entries(rawAttrs)) {
      if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
      const colon = key.indexOf(':');
      if (colon < 0) {
        attrs[key] = value;
      } else if (key.slice(colon + 1) === 'type' && inner.get(key.slice(0, colon)) === XSI_NS) {
        xsiType = value.slice(value.indexOf(':') + 1);
      }
    }
    const colon = tag.indexOf(':');
    const prefix = colon < 0 ? '' : tag.slice(0, colon);
    const body = entry[tag];
    const list = Array.isArray(body) ? body : [];
    let text = '';
    for (const part of list) {
      if (typeof part === 'object' && part !== null && '#text' in part) {
        text += String((part as Ordered)['#text']);
      }
    }
    out.push({
      name: tag.slice(colon + 1),
      ns: inner.get(prefix),
      xsiType,
      attrs,
      children: convertAll(list, inner, depth + 1),
      text,
    });
  }
  return out;
}

export function childrenNamed(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

export function childNamed(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

/** Text of the child at `path` (dot separated), or undefined when any step is missing. */
export function textAt(node: XmlNode | undefined, path: string): string | undefined {
  let at = node;
  for (const step of path.split('.')) at = childNamed(at, step);
  return at?.text;
}

export function numberAt(node: XmlNode | undefined, path: string): number | undefined {
  const text = textAt(node, path);
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

// ---- writing ----

/** A request body value: text, a nested element list, or a typed element. */
export type XmlValue = string | number | boolean | XmlElement[];

export interface XmlElement {
  name: string;
  value: XmlValue;
  /** Written as xsi:type: polymorphic arguments (TraversalSpec, VirtualDiskFlatVer2BackingInfo). */
  xsiType?: string;
  /** Plain attributes (`type` of a managed object reference). */
  attrs?: Record<string, string>;
}

export function el(
  name: string,
  value: XmlValue,
  options: { xsiType?: string; attrs?: Record<string, string> } = {},
): XmlElement {
  return { name, value, ...options };
}

/** A managed object reference argument: `<_this type="PropertyCollector">propertyCollector</_this>`. */
export function moRef(name: string, ref: { type: string; value: string }): XmlElement {
  return el(name, ref.value, { attrs: { type: ref.type } });
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function writeXml(elements: readonly XmlElement[]): string {
  let out = '';
  for (const e of elements) {
    let attrs = e.xsiType ? ` xsi:type="${escapeXml(e.xsiType)}"` : '';
    for (const [k, v] of Object.entries(e.attrs ?? {})) attrs += ` ${k}="${escapeXml(v)}"`;
    const inner = Array.isArray(e.value) ? writeXml(e.value) : escapeXml(String(e.value));
    out += `<${e.name}${attrs}>${inner}</${e.name}>`;
  }
  return out;
}

/** The whole request envelope for one method call. */
export function soapEnvelope(method: string, args: readonly XmlElement[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="${XSI_NS}">` +
    `<soapenv:Body><${method} xmlns="${VIM_NS}">${writeXml(args)}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}
