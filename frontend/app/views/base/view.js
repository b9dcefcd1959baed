// Base view
// ---------
// Chaplin leaves it to the app to say how templates are compiled. Ours are
// Underscore templates, compiled once in `app/templates/`: a view names the
// compiled function as its `template`.

const Chaplin = require('chaplin');

module.exports = Chaplin.View.extend({
  // Render on creation: the controller only has to create the view.
  autoRender: true,

  getTemplateFunction() {
    return this.template;
  }
});
