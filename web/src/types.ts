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

// ------------------------------------------------------------------ planning (GET plan/*, plan jobs)
// The JSON the CLI prints with --json (crates/qaita-plan: rank, removal, roadmap, scenario,
// schedule); the server answers the same documents.
export interface DataSource {
  source: string;
  date: string;
  confidence: string;
  illustrative?: boolean;
  note?: string | null;
}
export type PlanGroup = 'economic' | 'exposure' | 'hazard' | 'strategic' | 'confidence' | 'legal';
export interface RankPart {
  group: string;
  indicator: string;
  raw: number | null;
  score: number;
  weight: number;
  contribution: number;
}
export type ConsequenceClass = 'low' | 'significant' | 'high' | 'very_high' | 'extreme';
export interface Hazard {
  index: number;
  factors: [string, number][];
  population_at_risk: number;
  consequence_class: ConsequenceClass;
}
export interface RankStability {
  rank_p05: number;
  rank_p50: number;
  rank_p95: number;
  top_probability: number;
}
export interface RankRow {
  rank: number;
  id: number;
  external_id: string;
  name: string;
  region: string;
  kind: string;
  score: number;
  groups: Partial<Record<PlanGroup, number>> & Record<string, number>;
  parts: RankPart[];
  hazard: Hazard;
  stability: RankStability | null;
}
export interface StabilitySummary {
  draws: number;
  perturbation: number;
  seed: number;
  top: number;
  spearman_mean: number;
  spearman_min: number;
  top_overlap_mean: number;
}
export interface Ranking {
  rows: RankRow[];
  /** [group, indicator, weight (sums to 1), normalisation] */
  weights: [string, string, number, string][];
  stability: StabilitySummary | null;
  notes: string[];
  provenance: DataSource;
}
export interface PlanLabelled {
  made_from: string;
  label: string;
}
export interface RankingResponse extends PlanLabelled {
  ranking: Ranking;
}

export type RemovalOption = 'reprocess' | 'relocate' | 'unknown';
export interface RemovalRow {
  order: number;
  id: number;
  external_id: string;
  name: string;
  settlement: string | null;
  inside_settlement: boolean;
  edge_distance_km: number | null;
  population_at_risk: number;
  hazard_index: number;
  consequence_class: ConsequenceClass;
  exposure_score: number;
  urgency: number;
  tonnage_t: number | null;
  reprocess_npv_usd: number | null;
  relocation_cost_usd: number | null;
  option: RemovalOption;
  net_usd: number | null;
  national_rank: number;
}
export interface RemovalProgramme {
  rows: RemovalRow[];
  near_km: number;
  net_total_usd: number;
  reprocess_count: number;
  relocate_count: number;
  population_at_risk_total: number;
  tonnes_total: number;
  provenance: DataSource;
}
export interface CommodityTotal {
  commodity: string;
  rare_earth: boolean;
  contained_t: number;
  tmfs: number;
  by_region: Record<string, number>;
}
export interface RoadmapPhase {
  name: string;
  from_year: number;
  to_year: number;
}
export interface RoadmapCandidate {
  id: number;
  external_id: string;
  name: string;
  region: string;
  kind: string;
  commodities: Record<string, number>;
  route: string;
  trl: number;
  delay_years: number;
  delay_reasons: string[];
  phases: RoadmapPhase[];
  production_from: number;
  national_rank: number | null;
}
export interface Roadmap {
  totals: CommodityTotal[];
  candidates: RoadmapCandidate[];
  provenance: DataSource;
}
export interface RoadmapResponse extends PlanLabelled {
  residential: RemovalProgramme | null;
  rare_metals: Roadmap | null;
}

export type Objective = 'npv' | 'tonnes' | 'exposure';
export interface ScheduleSettings {
  first_year: number;
  last_year: number;
  annual_budget_usd: number;
  regional_capacity_tpa: Record<string, number>;
  default_capacity_tpa: number;
  discount_rate: number;
  objective: Objective;
  residential_first: boolean;
  precedence: [number, number][];
  solver: 'highs' | 'microlp';
  time_limit_s: number;
  mip_rel_gap: number;
  solver_log?: boolean;
}
export interface ScheduleStart {
  id: number;
  external_id: string;
  region: string;
  year: number;
  capex_usd: number;
  objective_value: number;
}
export interface Schedule {
  method: string;
  starts: ScheduleStart[];
  objective: Objective;
  objective_value: number;
  capex_by_year: Record<string, number>;
  tonnes_by_year: Record<string, number>;
  regional_tonnes: Record<string, Record<string, number>>;
}
export interface Comparison {
  greedy: Schedule;
  milp: Schedule;
  solver: string;
  status: string;
  gap: number;
  bound: number | null;
  solve_seconds: number;
  greedy_seconds: number;
  variables: number;
  constraints: number;
  improvement_over_greedy: number | null;
  violations: string[];
}
export interface ScheduleResult extends PlanLabelled {
  settings: ScheduleSettings;
  projects: number;
  comparison: Comparison;
}

export interface StockFigure {
  value_bn_t: number;
  year: number;
  source: string;
  date: string;
  confidence: string;
}
export interface ScenarioYear {
  year: number;
  share: number;
  generation_t: [number, number, number];
  reprocessed_t: [number, number, number];
  projects_t: number;
  stock_t: [number, number, number];
}
export interface ScenarioResult {
  name: string;
  label: string;
  years: ScenarioYear[];
  reprocessed_total_t: number;
  projects_total_t: number;
}
export interface Scenarios {
  base_year: number;
  end_year: number;
  start_stock_estimates: [number, StockFigure][];
  start_stock_t: [number, number, number];
  generation: { low: number; base: number; high: number; source: string; date: string; confidence: string };
  reprocessed_share: { value: number; source: string; date: string; confidence: string; note?: string | null };
  results: ScenarioResult[];
  provenance: DataSource;
}
export interface ScenariosResult {
  made_from: string;
  label?: string;
  scenarios: Scenarios;
}

export interface ReportFile {
  name: string;
  content_type: string;
  bytes: number;
}
export interface ReportResult extends PlanLabelled {
  report: 'national' | 'tmf';
  external_id: string | null;
  files: ReportFile[];
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export interface JobView {
  id: number;
  kind: string;
  status: JobStatus;
  owner: string;
  done: number;
  total: number;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  error?: string;
  result_url?: string;
}
/** Body of POST plan/schedules, plan/scenarios and reports (every member optional). */
export interface ScheduleOptions {
  objective?: Objective;
  budget_musd?: number;
  capacity_mt?: number;
  region_capacity?: Record<string, number>;
  first_year?: number;
  last_year?: number;
  residential_first?: boolean;
  precedence?: [string, string][];
  solver?: 'highs' | 'microlp';
  time_limit_s?: number;
  gap?: number;
  include_ongoing?: boolean;
  stored_only?: boolean;
  paths?: number;
  seed?: number;
}
export interface ReportOptions extends ScheduleOptions {
  report: 'national' | 'tmf';
  id?: string;
  top?: number;
}
