// Exchange view
// -------------
// One row of the conversation panel: `<li class="exchange">`, its first line
// the request and the answer's status, the bodies and headers under it.

const View = require('views/base/view');

// Keys whose value the panel never shows, in any body.
const SECRET_KEY = /password/i;

// A body as indented JSON, passwords masked; text as it came; or `(none)`.
function formatBody(body) {
  if (body === undefined) return '(none)';
  if (typeof body === 'string') return body;
  return JSON.stringify(body, (key, value) => (SECRET_KEY.test(key) ? '(hidden)' : value), 2);
}

module.exports = View.extend({
  tagName: 'li',
  className: 'exchange',
  // Bodies hold the user's text: always `<%- %>`. The template's first line
  // is one line of markup so that its text reads
  // `PUT /api/items/6b07…5c99 200 OK 12 ms`.
  template: require('templates/exchange'),

  // The answer arrives after the row is shown.
  listen: {
    'change model': 'render'
  },

  getTemplateData() {
    const exchange = this.model;
    const milliseconds = exchange.get('milliseconds');
    return {
      method: exchange.get('method'),
      url: exchange.get('url'),
      shortUrl: exchange.shortUrl(),
      statusText: exchange.statusText(),
      outcome: exchange.outcome(),
      override: exchange.override(),
      time: milliseconds === undefined ? '' : `${milliseconds} ms`,
      headers: exchange.get('headers'),
      requestBody: formatBody(exchange.get('requestBody')),
      responseBody: formatBody(exchange.get('responseBody'))
    };
  }
});
