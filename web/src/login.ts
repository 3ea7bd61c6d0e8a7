// Login page (POST /api/v1/session).
import { ApiError, login } from './api';
import { h, replace } from './dom';
import { t } from './i18n';
import { emit, roleLabel, state } from './state';

let root: HTMLElement | null = null;
let message: string | null = null;
let after: () => void = () => {};

export function mountLogin(container: HTMLElement, onLoggedIn: () => void): void {
  root = container;
  after = onLoggedIn;
}

export function setLoginMessage(m: string | null): void {
  message = m;
}

export function render(): void {
  if (!root) return;
  const user = h('input', { name: 'username', testid: 'login-username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', testid: 'login-password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit' }, t('l_submit'));
  const err = h('p', { class: 'error', role: 'alert', testid: 'login-error', hidden: true });
  const form = h(
    'form',
    {
      class: 'login-form',
      testid: 'login-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        err.hidden = true;
        try {
          const s = await login(user.value.trim(), pass.value);
          state.user = s.user;
          message = null;
          emit('session');
          after();
        } catch (ex) {
          err.textContent = ex instanceof ApiError && ex.status === 401 ? t('l_failed') : t('error', { msg: (ex as Error).message });
          err.hidden = false;
          submit.disabled = false;
        }
      },
    },
    h('label', null, h('span', null, t('l_username')), user),
    h('label', null, h('span', null, t('l_password')), pass),
    h('div', { class: 'form-actions' }, submit),
    err,
  );
  replace(
    root,
    h('div', { class: 'login-box' }, h('h2', null, t('l_title')), message ? h('p', { class: 'notice' }, message) : null, state.user ? h('p', { class: 'muted' }, t('l_as', { user: state.user.username, role: roleLabel(state.user.role) })) : null, form),
  );
  user.focus();
}
