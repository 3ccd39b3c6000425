"""The lead list's search (leads/search.py): ``Prospect.search``, the folded name, email and
company name of a prospect, kept by two triggers, with a trigram GIN index (pg_trgm).

Folding (``leads_fold``): the letters decomposed (NFD) and their accents dropped (é → e,
å → a, ü → u, ñ → n, š → s…); the letters that do not decompose written as an ASCII keyboard
writes them: ø → o, æ → ae, œ → oe, ß → ss, þ → th, ł → l, đ and ð → d; then lower case
(docs/design.md, "Search"). Text that is ASCII already is only lower-cased, the common case
and ten times cheaper. Built-ins only, locale-independent.

The triggers: a prospect's text is made on every insert and on every update of its name,
email, company or of the text itself (so that a full ``save()`` from Python cannot leave a
stale one); a company's new name remakes the text of its prospects. Their functions fix
their search_path (``SET search_path FROM CURRENT``): a restore by pg_restore runs with an
empty one.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION leads_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
SELECT CASE WHEN value ~ '^[\x01-\x7f]*$' THEN lower(value) ELSE lower(
    replace(replace(replace(replace(replace(replace(replace(replace(
        translate(regexp_replace(normalize(value, NFD), '[\u0300-\u036f]', '', 'g'),
                  'øØłŁđĐðÐ', 'oollddDD'),
        'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'), 'ß', 'ss'), 'ẞ', 'SS'),
        'þ', 'th'), 'Þ', 'TH')
) END
$$;

CREATE OR REPLACE FUNCTION leads_prospect_search(
    first_name text, last_name text, email text, company_name text
) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
SELECT leads_fold(' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' '
                  || coalesce(email, '') || ' ' || coalesce(company_name, ''))
$$;

-- The company's name read by a statement of its own, not a subquery in the assignment: that
-- keeps the assignment a simple expression, which PL/pgSQL evaluates without the executor
-- (a row costs 20 µs more instead of 55: docs/performance.md, "Search").
CREATE OR REPLACE FUNCTION leads_prospect_search_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE
    company_name text;
BEGIN
    IF NEW.company_id IS NOT NULL THEN
        SELECT c.name INTO company_name FROM leads_company c WHERE c.id = NEW.company_id;
    END IF;
    NEW.search := leads_prospect_search(NEW.first_name, NEW.last_name, NEW.email, company_name);
    RETURN NEW;
END;
$$;
CREATE TRIGGER leads_prospect_search
    BEFORE INSERT OR UPDATE OF first_name, last_name, email, company_id, search
    ON leads_prospect FOR EACH ROW EXECUTE FUNCTION leads_prospect_search_write();

CREATE OR REPLACE FUNCTION leads_company_search_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
BEGIN
    -- The prospects' own trigger remakes their text, with the company's new name.
    UPDATE leads_prospect SET search = search WHERE company_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER leads_company_search
    AFTER UPDATE OF name ON leads_company FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION leads_company_search_write();

-- The prospects there are: their trigger makes their text.
UPDATE leads_prospect SET search = search;
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS leads_company_search ON leads_company;
DROP TRIGGER IF EXISTS leads_prospect_search ON leads_prospect;
DROP FUNCTION IF EXISTS leads_company_search_write();
DROP FUNCTION IF EXISTS leads_prospect_search_write();
DROP FUNCTION IF EXISTS leads_prospect_search(text, text, text, text);
DROP FUNCTION IF EXISTS leads_fold(text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_i19sync"),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddField(
            model_name="prospect",
            name="search",
            field=models.TextField(db_default="", default="", editable=False),
        ),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.AddIndex(
            model_name="prospect",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search"], name="prospect_search", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
