import { html } from './html.js';
import { consolePage } from './console-page.js';

/** The sign-in form: a token (tokens and keystone modes), or Keystone user credentials (keystone mode). */
export function signInPage(formToken: string, mode: 'tokens' | 'keystone', error?: string): string {
  const keystone = mode === 'keystone'
    ? html`<fieldset><legend>Or with Keystone credentials</legend>
        <div class="field"><label for="username">User name</label><input type="text" id="username" name="username" autocomplete="username"></div>
        <div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password"></div>
        <div class="field"><label for="project">Project name</label><input type="text" id="project" name="project"></div>
        <div class="field"><label for="domain">Domain</label><input type="text" id="domain" name="domain" value="Default"></div>
      </fieldset>`
    : '';
  return consolePage({
    title: 'Sign in',
    body: html`<div class="card"><h1>Sign in to the Glimpse console</h1>
      <p class="muted">For administrators. The token is exchanged for a session of limited length; it is never kept in the browser.</p>
      ${error ? html`<div class="error" role="alert">${error}</div>` : ''}
      <form method="post" action="/console/sign-in">
        <input type="hidden" name="_csrf" value="${formToken}">
        <div class="field"><label for="token">${mode === 'keystone' ? 'Keystone token' : 'Token'}</label>
          <input type="password" id="token" name="token" autocomplete="off" spellcheck="false"${mode === 'tokens' ? html` required` : ''}></div>
        ${keystone}
        <button class="primary" type="submit">Sign in</button>
      </form></div>`,
  });
}
