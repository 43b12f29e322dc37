// The script app of the oauthcheck reference server's js-login quirk. It
// renders the login, consent and continue pages from the JSON state in
// #root's data-state, and talks to the server with fetch(): JSON bodies,
// the anti-CSRF token in the X-CSRF-Token header, answers {next} or {error}.
(function () {
  'use strict';
  var root = document.getElementById('root');
  var state = JSON.parse(root.getAttribute('data-state'));

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (k) { e.appendChild(k); });
    return e;
  }

  function showError(msg) {
    var p = document.getElementById('error');
    if (!p) {
      p = el('p', {id: 'error', 'class': 'error', role: 'alert'});
      root.insertBefore(p, root.children[1] || null);
    }
    p.textContent = msg;
  }

  async function post(path, body) {
    var resp = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf},
      body: JSON.stringify(body)
    });
    try {
      return await resp.json();
    } catch (e) {
      return {error: 'The server answered ' + resp.status + '.'};
    }
  }

  function follow(answer) {
    if (answer.next) {
      location.assign(answer.next);
      return;
    }
    showError(answer.error || 'Something went wrong. Try again.');
  }

  function page(title, kids) {
    document.title = title;
    root.replaceChildren(el('h1', {text: title}));
    kids.forEach(function (k) { root.appendChild(k); });
  }

  // Login, step 1: the username.
  function loginUser(username) {
    var input = el('input', {id: 'username', name: 'username', autocomplete: 'username', required: ''});
    input.value = username || '';
    var form = el('form', {id: 'js-login-username'}, [
      el('label', {'for': 'username', text: 'Username'}), input,
      el('button', {type: 'submit', id: 'next', text: 'Next'})
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!input.value) { showError('Enter your username.'); return; }
      loginPassword(input.value);
    });
    page('Sign in', [form]);
    input.focus();
  }

  // Login, step 2: the password, posted with the username.
  function loginPassword(username) {
    var input = el('input', {id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: ''});
    var back = el('button', {type: 'button', id: 'back', text: 'Use another account'});
    back.addEventListener('click', function () { loginUser(username); });
    var form = el('form', {id: 'js-login-password'}, [
      el('p', {id: 'who', text: 'Signing in as ' + username}),
      el('label', {'for': 'password', text: 'Password'}), input,
      el('button', {type: 'submit', id: 'login', text: 'Sign in'}), back
    ]);
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      follow(await post('/api/login', {username: username, password: input.value, return_to: state.return_to}));
    });
    page('Sign in', [form]);
    input.focus();
  }

  // Consent: the scopes as unticked checkboxes; Allow grants the ticked ones.
  function consent() {
    var boxes = state.scopes.map(function (sc) {
      var box = el('input', {type: 'checkbox', name: 'scope', value: sc, id: 'scope-' + sc});
      return {box: box, row: el('label', {'class': 'check'}, [box, document.createTextNode(' ' + sc)])};
    });
    var allow = el('button', {type: 'button', id: 'approve', text: 'Allow'});
    allow.addEventListener('click', async function () {
      var ticked = boxes.filter(function (b) { return b.box.checked; }).map(function (b) { return b.box.value; });
      if (ticked.length === 0) { showError('Choose at least one permission to allow.'); return; }
      follow(await post('/api/consent', {req: state.req, action: 'approve', scope: ticked}));
    });
    var buttons = [allow];
    if (state.deny) {
      var deny = el('button', {type: 'button', id: 'deny', text: 'Deny'});
      deny.addEventListener('click', async function () {
        follow(await post('/api/consent', {req: state.req, action: 'deny'}));
      });
      buttons.push(deny);
    }
    page('Allow access?', [
      el('p', {id: 'client', text: 'The application ' + state.client + ' asks for access to your account. Choose what to allow:'}),
      el('fieldset', {id: 'scopes'}, boxes.map(function (b) { return b.row; })),
      el('div', {'class': 'row'}, buttons)
    ]);
  }

  // The interstitial after consent: a button that goes on by script.
  function cont() {
    var button = el('button', {type: 'button', id: 'continue', text: 'Continue'});
    button.addEventListener('click', function () { location.assign(state.next); });
    page('You are signed in', [el('p', {text: 'Continue to the application.'}), button]);
  }

  ({login: function () { loginUser(''); }, consent: consent, 'continue': cont})[state.page]();
})();
