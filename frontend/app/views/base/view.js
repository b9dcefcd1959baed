// Base view
// ---------
// Chaplin leaves it to the app to say how templates are compiled. Ours are
// Underscore templates, `app/templates/*.jst`, compiled when Brunch builds
// the app (`plugins/underscore-templates-brunch`): a view names the
// compiled function, `require('templates/item')`, as its `template`.

const Chaplin = require('chaplin');

module.exports = Chaplin.View.extend({
  // Render on creation: the controller only has to create the view.
  autoRender: true,

  getTemplateFunction() {
    return this.template;
  }
});
