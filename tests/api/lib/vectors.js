'use strict';
// Valid and invalid values of the validated fields shared by
// partnership-members and es-entities: [value, expected 422 codes] for the
// invalid ones (any of the codes listed).

const ids = require('./ids');

/* A 9-digit prefix whose NIP check remainder is 10 (no valid check digit exists). */
function nipWithoutCheckDigit() {
  for (;;) {
    const first9 = String(1 + Math.floor(Math.random() * 9)) + ids.randomDigits(8);
    const w = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(first9[i]) * w[i];
    if (sum % 11 === 10) return `${first9}0`;
  }
}

const CHECKSUM = ['invalid_checksum'];
const SHAPE = ['invalid_checksum', 'invalid', 'too_short'];
const LONG = ['too_long', 'invalid_checksum', 'invalid'];

const vectors = {
  nip: {
    valid: () => [ids.nip(), ids.nip()],
    invalid: () => [
      [ids.badNip(), CHECKSUM], [ids.badNip(), CHECKSUM], [nipWithoutCheckDigit(), CHECKSUM],
      ['8567346214', CHECKSUM], ['856734621', SHAPE], ['85673462150', LONG],
      ['abcdefghij', SHAPE], ['856-734-62-15', LONG], ['856734621 ', SHAPE], ['８５６７３４６２１５', SHAPE],
    ],
  },
  regon: {
    valid: () => [ids.regon9(), ids.regon14(), ids.regon9()],
    invalid: () => {
      const r9 = ids.regon9();
      const r14 = ids.regon14();
      // a 14-digit REGON whose own check digit is right but whose first nine digits are not a REGON
      const badPrefix = ids.flipLast(r9) + ids.randomDigits(4);
      const w = [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8];
      let sum = 0;
      for (let i = 0; i < 13; i++) sum += Number(badPrefix[i]) * w[i];
      return [
        [ids.flipLast(r9), CHECKSUM], [ids.flipLast(r14), CHECKSUM], [badPrefix + (sum % 11 % 10), CHECKSUM],
        ['12345678', SHAPE], ['1234567890', SHAPE], ['123456789012345', LONG], ['12345678a', SHAPE],
      ];
    },
  },
  krs: {
    valid: () => [`0000${ids.randomDigits(6)}`, ids.krs()],
    invalid: () => [['000012345', SHAPE], ['00001234567', LONG], ['KRS0012345', SHAPE], ['00001 3456', SHAPE]],
  },
  postal_code: {
    valid: () => ['46-220', '00-001', '99-999'],
    invalid: () => [['46220', ['invalid']], ['4-6220', ['invalid']], ['46-22a', ['invalid']], ['46 220', ['invalid']],
      ['46-2200', ['too_long', 'invalid']], ['46—220', ['invalid']]],
  },
  email: {
    valid: () => ['a@b.pl', 'first.last+tag@sub.example.com', "o'brien@example.ie", 'biuro@spoldzielnia-razem.pl'],
    invalid: () => [['abc', ['invalid']], ['a@b', ['invalid']], ['@b.pl', ['invalid']], ['a@', ['invalid']],
      ['a@@b.pl', ['invalid']], ['a b@c.pl', ['invalid']], ['a@-b.pl', ['invalid']], ['a@b-.pl', ['invalid']],
      ['a@b..pl', ['invalid']], ['ż@b.pl', ['invalid']], [`${'a'.repeat(65)}@b.pl`, ['invalid']],
      [`a@${'b'.repeat(250)}.pl`, ['too_long', 'invalid']]],
  },
  phone: {
    valid: () => ['+48 77 413 40 00', '(77) 413-40-00', '774134000', '+48774134000'],
    invalid: () => [['abc1234567', ['invalid']], ['123456', ['invalid']], ['77.413.40.00', ['invalid']],
      ['+48 77 413 40 00 00 00 00', ['invalid', 'too_long']], ['+', ['invalid']], ['+48 77 413 40 00 ext 12', ['invalid']]],
  },
  website: {
    valid: () => ['http://a.pl', 'https://example.com:8080/path?x=1#frag', 'https://sub.example.pl/', 'https://razem.example.pl/o-nas?lang=pl'],
    invalid: () => [['ftp://a.pl', ['invalid']], ['example.com', ['invalid']], ['http://', ['invalid']],
      ['https://a.pl:99999', ['invalid']], ['http://a b.pl', ['invalid']], ['javascript:alert(1)', ['invalid']],
      ['https://a.pl:0', ['invalid']], ['HTTP//a.pl', ['invalid']]],
  },
};

module.exports = { vectors, nipWithoutCheckDigit };
