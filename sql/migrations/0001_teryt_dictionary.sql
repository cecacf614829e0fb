-- The TERYT dictionary of the Opolskie voivodeship (GUS TERC, state of
-- 2020-01-01): its powiats and its 71 gminas. The high-poverty flag comes
-- from the funding call and is set by an admin (PATCH /v1/gminas/{teryt}).

CREATE TABLE powiats (
  teryt char(4) PRIMARY KEY CHECK (teryt ~ '^[0-9]{4}$'),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('powiat', 'city'))
);

-- Names sort as Polish readers expect (Ł after L, not after Z).
CREATE TABLE gminas (
  teryt char(7) PRIMARY KEY CHECK (teryt ~ '^[0-9]{6}[1-5]$'),
  name text COLLATE "pl-x-icu" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('urban', 'rural', 'urban-rural')),
  powiat char(4) NOT NULL REFERENCES powiats (teryt),
  high_poverty boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gminas_powiat ON gminas (powiat, teryt);
CREATE INDEX gminas_name ON gminas (name, teryt);

-- Codes that changed: records of earlier years may still carry the old one.
-- Tułowice was the rural gmina 1609122 until 2018 and is 1609123 since.
CREATE TABLE teryt_aliases (
  old_teryt char(7) PRIMARY KEY,
  teryt char(7) NOT NULL REFERENCES gminas (teryt)
);

INSERT INTO powiats (teryt, name, kind) VALUES
  ('1601', 'brzeski', 'powiat'),
  ('1602', 'głubczycki', 'powiat'),
  ('1603', 'kędzierzyńsko-kozielski', 'powiat'),
  ('1604', 'kluczborski', 'powiat'),
  ('1605', 'krapkowicki', 'powiat'),
  ('1606', 'namysłowski', 'powiat'),
  ('1607', 'nyski', 'powiat'),
  ('1608', 'oleski', 'powiat'),
  ('1609', 'opolski', 'powiat'),
  ('1610', 'prudnicki', 'powiat'),
  ('1611', 'strzelecki', 'powiat'),
  ('1661', 'Opole', 'city');

INSERT INTO gminas (teryt, name, kind, powiat) VALUES
  ('1601011', 'Brzeg', 'urban', '1601'),
  ('1601022', 'Skarbimierz', 'rural', '1601'),
  ('1601033', 'Grodków', 'urban-rural', '1601'),
  ('1601043', 'Lewin Brzeski', 'urban-rural', '1601'),
  ('1601052', 'Lubsza', 'rural', '1601'),
  ('1601062', 'Olszanka', 'rural', '1601'),
  ('1602013', 'Baborów', 'urban-rural', '1602'),
  ('1602022', 'Branice', 'rural', '1602'),
  ('1602033', 'Głubczyce', 'urban-rural', '1602'),
  ('1602043', 'Kietrz', 'urban-rural', '1602'),
  ('1603011', 'Kędzierzyn-Koźle', 'urban', '1603'),
  ('1603022', 'Bierawa', 'rural', '1603'),
  ('1603032', 'Cisek', 'rural', '1603'),
  ('1603042', 'Pawłowiczki', 'rural', '1603'),
  ('1603052', 'Polska Cerekiew', 'rural', '1603'),
  ('1603062', 'Reńska Wieś', 'rural', '1603'),
  ('1604013', 'Byczyna', 'urban-rural', '1604'),
  ('1604023', 'Kluczbork', 'urban-rural', '1604'),
  ('1604032', 'Lasowice Wielkie', 'rural', '1604'),
  ('1604043', 'Wołczyn', 'urban-rural', '1604'),
  ('1605013', 'Gogolin', 'urban-rural', '1605'),
  ('1605023', 'Krapkowice', 'urban-rural', '1605'),
  ('1605032', 'Strzeleczki', 'rural', '1605'),
  ('1605042', 'Walce', 'rural', '1605'),
  ('1605053', 'Zdzieszowice', 'urban-rural', '1605'),
  ('1606012', 'Domaszowice', 'rural', '1606'),
  ('1606023', 'Namysłów', 'urban-rural', '1606'),
  ('1606032', 'Pokój', 'rural', '1606'),
  ('1606042', 'Świerczów', 'rural', '1606'),
  ('1606052', 'Wilków', 'rural', '1606'),
  ('1607013', 'Głuchołazy', 'urban-rural', '1607'),
  ('1607022', 'Kamiennik', 'rural', '1607'),
  ('1607033', 'Korfantów', 'urban-rural', '1607'),
  ('1607042', 'Łambinowice', 'rural', '1607'),
  ('1607053', 'Nysa', 'urban-rural', '1607'),
  ('1607063', 'Otmuchów', 'urban-rural', '1607'),
  ('1607073', 'Paczków', 'urban-rural', '1607'),
  ('1607082', 'Pakosławice', 'rural', '1607'),
  ('1607092', 'Skoroszyce', 'rural', '1607'),
  ('1608013', 'Dobrodzień', 'urban-rural', '1608'),
  ('1608023', 'Gorzów Śląski', 'urban-rural', '1608'),
  ('1608033', 'Olesno', 'urban-rural', '1608'),
  ('1608043', 'Praszka', 'urban-rural', '1608'),
  ('1608052', 'Radłów', 'rural', '1608'),
  ('1608062', 'Rudniki', 'rural', '1608'),
  ('1608072', 'Zębowice', 'rural', '1608'),
  ('1609012', 'Chrząstowice', 'rural', '1609'),
  ('1609022', 'Dąbrowa', 'rural', '1609'),
  ('1609032', 'Dobrzeń Wielki', 'rural', '1609'),
  ('1609042', 'Komprachcice', 'rural', '1609'),
  ('1609052', 'Łubniany', 'rural', '1609'),
  ('1609062', 'Murów', 'rural', '1609'),
  ('1609073', 'Niemodlin', 'urban-rural', '1609'),
  ('1609083', 'Ozimek', 'urban-rural', '1609'),
  ('1609092', 'Popielów', 'rural', '1609'),
  ('1609103', 'Prószków', 'urban-rural', '1609'),
  ('1609112', 'Tarnów Opolski', 'rural', '1609'),
  ('1609123', 'Tułowice', 'urban-rural', '1609'),
  ('1609132', 'Turawa', 'rural', '1609'),
  ('1610013', 'Biała', 'urban-rural', '1610'),
  ('1610023', 'Głogówek', 'urban-rural', '1610'),
  ('1610032', 'Lubrza', 'rural', '1610'),
  ('1610043', 'Prudnik', 'urban-rural', '1610'),
  ('1611012', 'Izbicko', 'rural', '1611'),
  ('1611022', 'Jemielnica', 'rural', '1611'),
  ('1611033', 'Kolonowskie', 'urban-rural', '1611'),
  ('1611043', 'Leśnica', 'urban-rural', '1611'),
  ('1611053', 'Strzelce Opolskie', 'urban-rural', '1611'),
  ('1611063', 'Ujazd', 'urban-rural', '1611'),
  ('1611073', 'Zawadzkie', 'urban-rural', '1611'),
  ('1661011', 'Opole', 'urban', '1661');

INSERT INTO teryt_aliases (old_teryt, teryt) VALUES ('1609122', '1609123');
