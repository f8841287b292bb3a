-- Coverage (issue 3) measures how far platforms are from township cells in UTM
-- zone 50N (EPSG:32650), the projection the cells were derived in: it is
-- conformal, so distances and nearest points there are within 0.05% of the
-- geodesic ones over Sanming, and planar distances on it cost microseconds where
-- geography distances from a polygon cost a third of a millisecond each. This
-- index serves the nearest-platform (KNN) and within-radius searches on it.
CREATE INDEX platform_location_utm_gix ON platform USING gist (ST_Transform(location, 32650));
