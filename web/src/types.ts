// Shapes of the API's JSON (see web/README.md, "API used by the UI").

export type Role = 'viewer' | 'analyst' | 'editor' | 'admin';
export interface User {
  username: string;
  role: Role;
}
export interface SessionInfo {
  user: User;
  csrf_token: string;
}

export interface Provenance {
  source?: string | null;
  date?: string | null;
  method?: string | null;
  confidence?: string | null;
  illustrative?: boolean | null;
  note?: string | null;
}
export interface Figure {
  field: string;
  value: number;
  unit: string;
  provenance: Provenance;
  current: boolean;
}

export interface GradeTonnageRow {
  cutoff: number;
  tonnes: number;
  mean_grade: number | null;
  contained_t: number | null;
}
export interface ResourceRow {
  class: string;
  tonnes: number;
  mean_grade: number | null;
  contained_t: number | null;
}
export interface ResourceEstimate {
  commodity?: string;
  unit?: string;
  method?: string;
  created_at?: string;
  version?: number;
  grade_tonnage?: GradeTonnageRow[];
  resources?: ResourceRow[];
}
export interface ValuationSummary {
  version?: number;
  created_at?: string;
  actor?: string;
  route?: string | null;
  scenario?: string | null;
  npv_usd?: number | null;
  irr?: number[] | number | null;
  p10_usd?: number | null;
  p50_usd?: number | null;
  p90_usd?: number | null;
  probability_positive?: number | null;
}
export interface Valuation extends ValuationSummary {
  p10?: number | null;
  p50?: number | null;
  p90?: number | null;
  paths?: number;
  npv_histogram?: { edges: number[]; counts: number[] } | null;
}
export interface Proximity {
  near_settlement: boolean;
  nearest?: {
    name: string;
    population: number;
    centre_distance_km: number;
    edge_distance_km: number;
    inside: boolean;
    settlement_id?: number;
  } | null;
  population_within?: { radius_km: number; population: number }[];
}
export interface Derived {
  contained_t?: Record<string, number>;
  owner_known?: boolean;
  proximity?: Proximity | null;
  resource_estimate?: ResourceEstimate | null;
  tonnage_t?: number | null;
  valuation?: ValuationSummary | null;
  valuation_versions?: number;
}
export interface Tmf {
  id: number;
  version: number;
  created_at?: string;
  updated_at?: string;
  external_id: string;
  name: string;
  name_kk?: string | null;
  name_ru?: string | null;
  kind: string;
  family?: string | null;
  region: string;
  operator?: string | null;
  owner?: string | null;
  source_enterprise?: string | null;
  location: { lon: number; lat: number };
  footprint?: GeoJSON.Polygon | GeoJSON.MultiPolygon | null;
  accumulation_from?: number | null;
  accumulation_to?: number | null;
  status: string;
  legal_class: string;
  hazard_notes?: string | null;
  figures: Figure[];
  derived?: Derived;
}
export interface TmfPage {
  total: number;
  limit: number;
  offset: number;
  items: Tmf[];
}
export interface TmfProps {
  id: number;
  external_id: string;
  name: string;
  name_kk?: string | null;
  name_ru?: string | null;
  kind: string;
  region: string;
  status: string;
  legal_class: string;
  owner_known: boolean;
  tonnage_t: number | null;
  near_settlement: boolean;
  npv_usd: number | null;
}
export interface TmfFeature {
  type: 'Feature';
  id?: number;
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: TmfProps;
}
export interface TmfCollection {
  type: 'FeatureCollection';
  features: TmfFeature[];
}

export interface HistoryChange {
  field: string;
  before: unknown;
  after: unknown;
}
export interface HistoryEntry {
  id: number;
  tmf_id: number;
  at: string;
  actor: string;
  action: string;
  context?: string | null;
  version: number;
  changes: HistoryChange[];
}

export interface Aggregate {
  objects: number;
  objects_with_tonnage?: number;
  tonnage_t: number;
  owner_unknown?: number;
  contained: Record<string, { tonnes: number; objects: number }>;
  provenance?: {
    current_figures: number;
    with_date: number;
    with_method: number;
    by_confidence: Record<string, number>;
    illustrative: number;
    objects_with_conflicting_figures: number;
  };
}
export interface Stats {
  national: Aggregate;
  by_region: Record<string, Aggregate>;
  by_kind: Record<string, Aggregate>;
}
export interface ProximityRow {
  id: number;
  external_id: string;
  name: string;
  lon: number;
  lat: number;
  nearest?: Proximity['nearest'];
  population_within?: { radius_km: number; population: number }[];
  near_settlement: boolean;
}
export interface ProximityReport {
  method?: string;
  settlements?: string;
  config: { radii_km: number[]; near_km: number; urban_density_per_km2?: number };
  tmfs: ProximityRow[];
}

export interface VocabTerm {
  code: string;
  en: string;
  ru: string;
  kk: string;
}
export type VocabName = 'kind' | 'region' | 'status' | 'legal_class' | 'family' | 'confidence';
export type Vocab = Partial<Record<VocabName, VocabTerm[]>>;

export interface ProblemError {
  file?: string;
  unit?: string;
  row?: number;
  field?: string;
  reason: string;
}
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: ProblemError[];
  report?: ImportReport;
  [k: string]: unknown;
}
export interface ImportReport {
  file?: string;
  counts?: { create?: number; update?: number; unchanged?: number; rejected?: number };
  problems?: ProblemError[];
  rejected_rows?: number[];
  committed?: boolean;
  dry_run?: boolean;
  changes?: unknown[];
}
