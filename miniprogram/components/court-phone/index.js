// The court's phone on every page (the litigant's way out of any step).
const config = require('../../config');

Component({
  properties: { phone: { type: String, value: '' }, court: { type: String, value: '' } },
  data: { defaultPhone: config.courtPhone, defaultCourt: config.courtName },
  methods: {
    call() {
      wx.makePhoneCall({ phoneNumber: this.data.phone || config.courtPhone });
    }
  }
});
