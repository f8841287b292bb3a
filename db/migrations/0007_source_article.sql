-- The source article is a dataset source like the others, with what a reader
-- needs to find it: its title, its publisher and its date, each NULL where the
-- article (or the copy civicmap has) does not give it, so that nothing is
-- invented. `article` marks it: the data-quality report reads its date as the
-- "now" against which establishedOn is checked (db.SourceArticleDate). At most
-- one source is the article.
ALTER TABLE dataset_source
    ADD COLUMN title        text,
    ADD COLUMN publisher    text,
    ADD COLUMN published_on date,
    ADD COLUMN article      boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX dataset_source_one_article_idx ON dataset_source (article) WHERE article;
