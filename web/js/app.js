// app.js: what every page does first — language, header, offline banner —
// then the page's own module, js/pages/<body data-page>.js.

import { getMe, post, request, setMe } from './api.js';
import { currentLang, isLang, loadLang, preferredLang, rememberLang, showText, t, translate } from './i18n.js';
import { byId } from './dom.js';

/** Pages that have a module of their own. */
const PAGES = [
  'events', 'event', 'login', 'register', 'verify', 'forgot-password',
  'reset-password', 'account', 'bookings', 'booking', 'booking-paid', 'booking-transfer', 'tickets',
];

/** @param {import('./types.js').Me | null} me */
function showAuth (me)
{
  for (const el of document.querySelectorAll ('[data-auth]'))
    if (el instanceof HTMLElement)
      el.hidden = el.dataset.auth !== (me ? 'in' : 'out');
}

function markCurrentNav ()
{
  const page = document.body.dataset.page || '';
  const current = page.startsWith ('booking') ? 'bookings' : page;
  const login = document.querySelector ('.nav-login');

  /* Logging in from any page comes back to it. */
  if (login instanceof HTMLAnchorElement && !['login', 'register', 'not-found', 'error'].includes (page) &&
      location.pathname !== '/')
    login.href = `/login?next=${encodeURIComponent (location.pathname + location.search)}`;

  for (const link of document.querySelectorAll ('[data-nav]'))
    if (link instanceof HTMLElement && link.dataset.nav === current)
      link.setAttribute ('aria-current', 'page');
}

function setupOffline ()
{
  const banner = byId ('offline-banner');

  /** @param {boolean} online */
  const show = (online) => {
    banner.textContent = online ? '' : t ('You are offline. Some things will not work until your connection is back.');
  };
  window.addEventListener ('offline', () => show (false));
  window.addEventListener ('online', () => show (true));
  window.addEventListener ('everato:network', (ev) => {
    if (ev instanceof CustomEvent)
      show (Boolean (ev.detail && ev.detail.online));
  });
  if (!navigator.onLine)
    show (false);
}

function setupHeader ()
{
  const select = byId ('lang-select', HTMLSelectElement);
  const logout = byId ('logout', HTMLButtonElement);

  select.value = currentLang ();
  select.addEventListener ('change', async () => {
    const lang = select.value;
    if (!isLang (lang))
      return;
    rememberLang (lang);
    select.disabled = true;
    if (await getMe ())
      {
        try { await request ('PATCH', '/api/v1/me', { body: { locale: lang } }); }
        catch { /* the choice on this device still counts */ }
      }
    location.reload ();
  });

  logout.addEventListener ('click', async () => {
    logout.disabled = true;
    try { await post ('/api/v1/auth/logout'); }
    catch { /* signed out already, or offline: forget the session here anyway */ }
    setMe (null);
    location.assign ('/');
  });

  window.addEventListener ('everato:auth', (ev) => {
    if (ev instanceof CustomEvent)
      showAuth (ev.detail ? ev.detail.me : null);
  });
}

/** @type {Array<HTMLFormElement | HTMLButtonElement>} */
const early = [];

/**
 * Until the page's script is ready, a form sent or a button pressed is
 * held back (a form must never go out as a plain GET with its fields in
 * the address) and replayed once it is.
 *
 * @param {Event} ev
 */
function holdEarly (ev)
{
  const target = ev.target;
  let el = null;

  if (ev.type === 'submit' && target instanceof HTMLFormElement)
    {
      ev.preventDefault ();
      el = target;
    }
  else if (target instanceof Element)
    el = target.closest ('button[type="button"]');
  if (el instanceof HTMLFormElement || el instanceof HTMLButtonElement)
    {
      ev.stopPropagation ();
      const i = early.indexOf (el);
      if (i >= 0)
        early.splice (i, 1);
      early.push (el);
    }
}

function replayEarly ()
{
  document.removeEventListener ('submit', holdEarly, true);
  document.removeEventListener ('click', holdEarly, true);
  /* Submit buttons wait disabled in the HTML, so that no form goes out
     before there is a script to send it. */
  for (const button of document.querySelectorAll ('button[data-wait]'))
    if (button instanceof HTMLButtonElement)
      {
        button.removeAttribute ('data-wait');
        button.disabled = false;
      }
  for (const el of early.splice (0))
    if (el instanceof HTMLFormElement)
      el.requestSubmit ();
    else
      el.click ();
}

async function boot ()
{
  const page = document.body.dataset.page || '';
  const module = PAGES.includes (page) ? import (`./pages/${page}.js`) : null;
  const mePromise = getMe ();
  let lang = preferredLang ();

  document.addEventListener ('submit', holdEarly, true);
  document.addEventListener ('click', holdEarly, true);

  await Promise.all ([loadLang (lang), mePromise]);
  const me = await mePromise;
  if (me && isLang (me.locale) && me.locale !== lang)
    {
      lang = me.locale;
      rememberLang (lang);
      await loadLang (lang);
    }
  translate (document);
  showAuth (me);
  markCurrentNav ();
  setupOffline ();
  setupHeader ();

  if (module)
    {
      await (await module).init ();
      replayEarly ();
    }
  else
    replayEarly ();
  document.body.dataset.ready = 'true';
}

boot ().catch ((err) => {
  showText ();
  replayEarly ();
  console.error (err);
});
