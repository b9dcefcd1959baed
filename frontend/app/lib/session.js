// Session
// -------
// From step 04 on, the API needs a logged-in user: without a valid session
// (never logged in, logged out in another tab, expired) it answers 401. The
// login page takes the way back in `next`.

const $ = require('jquery');

// `/login?next=/where/we/are`.
function loginUrl() {
  return '/login?next=' + encodeURIComponent(window.location.pathname + window.location.search);
}

// Send the browser to the login page when any request answers 401.
function redirectToLoginOnUnauthorized() {
  $(document).on('ajaxError', (event, xhr) => {
    if (xhr.status === 401) {
      window.location.assign(loginUrl());
    }
  });
}

module.exports = {redirectToLoginOnUnauthorized};
