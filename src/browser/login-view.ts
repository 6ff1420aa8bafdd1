// The login form: web_passwd (may change tasks) or web_viewer_passwd (looks only), once; the
// server answers with a session.
import { login } from './api.js';
import { fill, field, h } from './dom.js';

export function showLogin(root: HTMLElement, onLoggedIn: () => void, message = ''): void {
  const passwd = h('input', {
    type: 'password',
    name: 'passwd',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { role: 'alert', class: 'error' }, message);
  const button = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        button.disabled = true;
        try {
          await login(passwd.value);
          onLoggedIn();
        } catch (err) {
          error.textContent = (err as Error).message;
          passwd.select();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', null, 'ktimer'),
    field('Password', passwd, 'web_passwd, or web_viewer_passwd to look without changing anything'),
    button,
    error,
  );
  fill(root, h('main', null, form));
  passwd.focus();
}
