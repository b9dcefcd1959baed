// Exchange
// --------
// One request that `Backbone.sync` sent, and the server's answer, as the
// conversation panel shows it (`lib/conversation.js` records them):
//
//     {method: "POST", meant: "DELETE", url: "/api/items/6b07…",
//      requestBody: undefined, status: 204, responseBody: undefined,
//      headers: {}, milliseconds: 12}
//
// `meant` differs from `method` only when `Backbone.emulateHTTP` sent a PUT,
// PATCH or DELETE as a POST; `status` is there once the answer is.

const Chaplin = require('chaplin');

// RFC 9110's reason phrases: the server's own text is not always there (HTTP/2
// sends none) and Werkzeug writes it in capitals.
const REASONS = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
};

// A MongoDB ObjectId in a URL: 24 hexadecimal digits.
const OBJECT_ID = /[0-9a-f]{24}/;

module.exports = Chaplin.Model.extend({
  // `/api/items/6b07…5c99`: an item's URL with its id cut to both ends, which
  // is enough to tell the items apart.
  shortUrl() {
    return this.get('url').replace(OBJECT_ID, (id) => `${id.slice(0, 4)}…${id.slice(-4)}`);
  },

  // `201 Created`; `…` while the answer is on its way; status 0 is a request
  // that got no answer at all (server down, network gone).
  statusText() {
    const status = this.get('status');
    if (status === undefined) return '…';
    if (status === 0) return 'no answer';
    return `${status} ${REASONS[status] || this.get('reason')}`;
  },

  // `waiting`, `success` (2xx) or `refused`: what the row's colour says.
  outcome() {
    const status = this.get('status');
    if (status === undefined) return 'waiting';
    return status >= 200 && status < 300 ? 'success' : 'refused';
  },

  // The method `Backbone.emulateHTTP` put in `X-HTTP-Method-Override`, or ''.
  override() {
    return this.get('meant') === this.get('method') ? '' : this.get('meant');
  }
});
