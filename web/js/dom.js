// dom.js: building elements from data without ever parsing it as markup.
//
// Text goes in as text nodes, attributes through setAttribute: nothing here
// turns a string into HTML, so whatever an event's title holds, it stays text.

/** @typedef {string | number | Node | null | undefined | false} Leaf */
/** @typedef {Leaf | Leaf[] | Leaf[][]} Child */

/**
 * @typedef {Object<string, string | number | boolean | null | undefined | ((ev: any) => void)>} Props
 *   `class` sets the class list, `on<event>` adds a listener, `true` sets an
 *   empty (boolean) attribute, `false`/null/undefined leave it out. `value`
 *   and `checked` set the property, not the attribute.
 */

/**
 * @param {Node} parent
 * @param {Child | Child[]} child
 */
function append (parent, child)
{
  if (child === null || child === undefined || child === false)
    return;
  if (Array.isArray (child))
    {
      for (const c of child)
        append (parent, c);
      return;
    }
  parent.appendChild (typeof child === 'string' || typeof child === 'number'
                      ? document.createTextNode (String (child)) : child);
}

/**
 * Creates an element: h('a', { href: url, class: 'link' }, 'text', child…).
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h (tag, props, ...children)
{
  const el = document.createElement (tag);

  if (props)
    for (const [key, value] of Object.entries (props))
      {
        if (value === null || value === undefined || value === false)
          continue;
        if (typeof value === 'function')
          el.addEventListener (key.slice (2), value);
        else if (key === 'class')
          el.className = String (value);
        else if (key === 'value' && 'value' in el)
          /** @type {HTMLInputElement} */ (el).value = String (value);
        else if (key === 'checked' && 'checked' in el)
          /** @type {HTMLInputElement} */ (el).checked = Boolean (value);
        else
          el.setAttribute (key, value === true ? '' : String (value));
      }
  append (el, children);
  return el;
}

/**
 * Replaces all children of el.
 *
 * @param {Element} el
 * @param {...Child} children
 */
export function fill (el, ...children)
{
  el.replaceChildren ();
  append (el, children);
}

/**
 * The element with id, which must exist and be of type.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new (...args: any[]) => T} [type]
 * @returns {T}
 */
export function byId (id, type)
{
  const el = document.getElementById (id);

  if (!el || (type && !(el instanceof type)) || !(el instanceof HTMLElement))
    throw new Error (`missing #${id}`);
  return /** @type {T} */ (el);
}

/**
 * Moves the keyboard focus to el (making it focusable if needed) and
 * scrolls it into view.
 *
 * @param {HTMLElement} el
 */
export function focus (el)
{
  if (el.tabIndex < 0 && !el.hasAttribute ('tabindex'))
    el.setAttribute ('tabindex', '-1');
  el.focus ();
}

/**
 * Shows or clears the error of a form field: the text in errorEl, and
 * aria-invalid / aria-describedby on the field.
 *
 * @param {HTMLElement} field
 * @param {HTMLElement} errorEl
 * @param {string} message  empty to clear
 */
export function setFieldError (field, errorEl, message)
{
  errorEl.textContent = message;
  if (message)
    {
      field.setAttribute ('aria-invalid', 'true');
      const ids = (field.getAttribute ('aria-describedby') || '').split (/\s+/).filter (Boolean);
      if (!ids.includes (errorEl.id))
        field.setAttribute ('aria-describedby', [...ids, errorEl.id].join (' '));
    }
  else
    field.removeAttribute ('aria-invalid');
}

/**
 * A path inside this site to go to after signing in, or null: only paths
 * that start with one "/" (not "//", no backslashes or control characters).
 *
 * @param {string | null | undefined} raw
 * @returns {string | null}
 */
export function safeNext (raw)
{
  if (!raw || raw[0] !== '/' || raw[1] === '/' || /[\\\u0000-\u001f\u007f]/.test (raw))
    return null;
  return raw;
}

/** @returns {string | null} the page's ?next= if it is safe */
export function nextParam ()
{
  return safeNext (new URLSearchParams (location.search).get ('next'));
}
