"""The path matrix: every surface that reads or writes data, and the attack tests that cover each member.

`test_path_matrix` introspects every surface named in `MATRIX` (public members of
the classes and modules, the `Action` enum, the web app's routes) and fails when a
member is missing here or a listed test does not exist. A member is one of:

* a tuple of ``"module::test_function"``: the attacks that cover it;
* `Via`: it only hands out another surface of this table, listed under that name;
* `NotData`: it neither reads nor writes records (with the reason);
* `OutsideActor`: it reads or writes records, but is not the actor's path — an
  operator job or the layer below the policies, which application code owns
  (with the reason; the report of issue 13 lists them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Via:
    surface: str


@dataclass(frozen=True)
class NotData:
    reason: str


@dataclass(frozen=True)
class OutsideActor:
    reason: str


Entry = tuple[str, ...] | Via | NotData | OutsideActor

RP, WP, RB = "test_read_paths::", "test_write_paths::", "test_raw_batch_tx::"
INF, INJ, CA = "test_inference::", "test_injection_reload::", "test_cache_audit::"
DA = "test_data_access::"
AN, EP, WEB = "test_analytics::", "test_entry_points::", "test_web_attacks::"
REST = "test_rest_api::"

STATE = NotData("the object's own state or schema metadata, no record")
LIFECYCLE = NotData("starts or stops the object, no record")
BUILDER = NotData("returns a new query with this choice; its terminals (listed) read the data")

CREATES = (f"{WP}test_create_into_globex",)
WRITES = (f"{WP}test_write_to_globex_rows",)
MOVES = (f"{WP}test_move_a_row_to_globex",)
READS = (f"{RP}test_call_read_action_on_globex",)
NUMBERS = (f"{RP}test_call_count_aggregate_group_by_on_globex",)
RAW = (f"{RB}test_raw_sql_is_gated_by_action", f"{RB}test_raw_sql_in_a_batch", f"{RB}test_raw_sql_in_a_transaction")
TERMINALS = (f"{RP}test_query_builder_terminal_sees_no_globex_row",)
SHAPES = (f"{EP}test_query_builder_shapes_see_no_globex_row_and_no_hidden_field",)
COMPILED = (f"{EP}test_compiled_args_and_operations_see_no_globex_row",)
FACTORY = (f"{EP}test_operation_factory_in_a_batch",)
AUDIT_READS = (f"{CA}test_audit_query_is_scoped_and_masked", f"{CA}test_audit_query_by_actor_and_action")
ANALYTICS = (f"{AN}test_analytics_field_attack", f"{AN}test_analytics_counts_only_the_attackers_tenant")
ROUTES = (f"{WEB}test_every_route_refuses_missing_wrong_and_roleless_tokens", f"{WEB}test_rebound_host_is_refused")
VALUES = (*ROUTES, f"{WEB}test_snapshot_events_and_metrics_carry_no_record_values")
HEALTH = (f"{WEB}test_health_checks_are_open_and_carry_no_record_values", f"{WEB}test_rebound_host_is_refused")
AUDIT_WRITER = NotData("the audit writer's side: appends or ships events the pipeline records, reads no record")
BELOW = OutsideActor("the cache middleware's interface below the policies (takes an already scoped Operation); "
                     "the actor's path is ModelCache (cache_for)")
PURE = NotData("a function of the values, text or schema it is given: reads no record")
REST_LISTS = (f"{REST}test_rest_list_and_search_see_only_the_actors_tenant",
              f"{REST}test_rest_field_oracles_are_refused")
REST_NUMBERS = (f"{REST}test_rest_numbers_count_only_the_actors_tenant", f"{REST}test_rest_field_oracles_are_refused")
REST_WRITES = (f"{REST}test_rest_writes_to_globex_change_nothing",)

MATRIX: dict[str, dict[str, Entry]] = {
    "Action": {
        "FIND_UNIQUE": (*READS, f"{RP}test_repository_find_unique_of_a_globex_row"),
        "FIND_UNIQUE_OR_THROW": (f"{RP}test_call_or_throw_on_globex",),
        "FIND_FIRST": (*READS, f"{RP}test_repository_find_first_and_exists_of_globex"),
        "FIND_FIRST_OR_THROW": (f"{RP}test_call_or_throw_on_globex",),
        "FIND_MANY": (*READS, f"{RP}test_repository_find_many_sees_own_tenant_masked",
                      f"{INF}test_field_oracle_is_refused"),
        "CREATE": (*CREATES, f"{WP}test_nested_write_into_globex"),
        "CREATE_MANY": CREATES,
        "CREATE_MANY_AND_RETURN": CREATES,
        "UPDATE": (*WRITES, *MOVES, f"{WP}test_nested_write_into_globex"),
        "UPDATE_MANY": (*WRITES, f"{WP}test_nested_many_writes_reach_only_the_actors_rows"),
        "UPSERT": (*WRITES, *MOVES),
        "DELETE": WRITES,
        "DELETE_MANY": (*WRITES, f"{WP}test_unscoped_delete_many_spares_globex"),
        "COUNT": (*NUMBERS, f"{INF}test_count_difference_oracle"),
        "AGGREGATE": (*NUMBERS, f"{RB}test_batch_aggregate_on_hidden_field"),
        "GROUP_BY": (*NUMBERS, f"{INF}test_group_by_having_relation_count_oracle"),
        "QUERY_RAW": RAW,
        "EXECUTE_RAW": RAW,
    },
    "Repository": {
        "aggregate": (f"{RP}test_repository_aggregate_and_group_by_rows",),
        "bind": (f"{RB}test_interactive_transaction_is_scoped",),
        "bulk_create": CREATES,
        "bulk_delete": WRITES,
        "bulk_update": (*WRITES, f"{INF}test_bulk_where_on_hidden_field_is_refused"),
        "bulk_upsert": MOVES,
        "count": (f"{RP}test_repository_count",),
        "create": (*CREATES, f"{WP}test_control_the_attacker_writes_its_own_rows"),
        "create_many": CREATES,
        "create_many_and_return": CREATES,
        "delete": WRITES,
        "delete_many": (*WRITES, f"{WP}test_unscoped_delete_many_spares_globex"),
        "exists": (f"{RP}test_repository_find_first_and_exists_of_globex",),
        "find_compiled": COMPILED,
        "find_first": (f"{RP}test_repository_find_first_and_exists_of_globex",),
        "find_many": (f"{RP}test_repository_find_many_sees_own_tenant_masked",
                      f"{RP}test_repository_find_many_with_includes_across_tenants",
                      f"{RP}test_repository_offset_pagination", f"{RP}test_repository_cursor_pagination"),
        "find_unique": (f"{RP}test_repository_find_unique_of_a_globex_row",),
        "find_unique_or_raise": (f"{RP}test_repository_find_unique_or_raise_of_a_globex_row",),
        "group_by": (f"{RP}test_repository_aggregate_and_group_by_rows",),
        "info": STATE,
        "infrastructure": Via("Infrastructure"),
        "load": (f"{RP}test_repository_load_relation_across_tenants",),
        "model": STATE,
        "name": STATE,
        "op": Via("OperationFactory"),
        "operation": COMPILED,
        "query": Via("QueryBuilder"),
        "run": COMPILED,
        "search": (f"{RP}test_repository_search_across_tenants", f"{INF}test_search_on_hidden_field_is_refused"),
        "search_where": COMPILED,
        "stream": (f"{RP}test_repository_stream",),
        "transaction": Via("Transaction"),
        "update": (*WRITES, *MOVES, f"{WP}test_nested_write_into_globex"),
        "update_many": WRITES,
        "upsert": (*WRITES, *MOVES),
    },
    "QueryBuilder": {
        **dict.fromkeys(("all", "count", "execute", "exists", "first", "stream", "paginate", "cursor_paginate"),
                        TERMINALS),
        "cache": SHAPES,
        "compile": COMPILED,
        "cursor": (*SHAPES, f"{INF}test_cursor_on_a_globex_row_is_no_oracle"),
        "distinct": (f"{INF}test_query_builder_where_on_hidden_field_is_refused",),
        "explain": (f"{RP}test_query_builder_explain_and_search",),
        "include": (f"{RP}test_query_builder_explain_and_search", *SHAPES),
        "model": STATE,
        "no_cache": SHAPES,
        "omit": SHAPES,
        "order_by": (f"{INF}test_query_builder_where_on_hidden_field_is_refused",),
        "search": (f"{RP}test_query_builder_explain_and_search", f"{INF}test_search_on_hidden_field_is_refused"),
        "select": SHAPES,
        "skip": SHAPES,
        "take": SHAPES,
        "where": (*TERMINALS, f"{INF}test_query_builder_where_on_hidden_field_is_refused",
                  f"{INF}test_query_builder_relation_oracle"),
        "where_args": COMPILED,
    },
    "OperationFactory": {
        name: FACTORY
        for name in ("aggregate", "count", "create", "create_many", "delete", "delete_many", "find_first",
                     "find_many", "find_unique", "group_by", "update", "update_many", "upsert")
    },
    "Transaction": {
        "batch": (f"{RB}test_raw_sql_in_a_transaction_batch",),
        "commit": LIFECYCLE,
        "execute": (f"{RB}test_raw_sql_in_a_transaction",),
        "is_active": STATE,
        "is_nested": STATE,
        "query": (f"{RB}test_interactive_transaction_is_scoped",),
        "remaining": STATE,
        "repository": (f"{RB}test_interactive_transaction_is_scoped",),
        "rollback": LIFECYCLE,
        "state": STATE,
        "transaction": (f"{EP}test_nested_transaction_is_scoped",),
    },
    "Infrastructure": {
        "acting_as": NotData("sets the ambient actor every attack runs under"),
        "analytics": ANALYTICS,
        **dict.fromkeys(("analytics_engine", "analytics_runner"), Via("AnalyticsRunner")),
        "apply_config": (f"{INJ}test_invalid_policy_reload_keeps_the_old_policies",
                         f"{INJ}test_reload_that_drops_every_policy_is_what_the_file_says"),
        "audit": Via("AuditManager"),
        "batch": (f"{RB}test_batch_reads_and_writes_are_scoped", f"{RB}test_raw_sql_in_a_batch", *FACTORY),
        "cache": Via("CacheManager"),
        "cache_for": Via("ModelCache"),
        "cache_manager": Via("CacheManager"),
        "call": (*READS, f"{RP}test_call_or_throw_on_globex", *WRITES, *CREATES, *RAW),
        "clock": NotData("where time is read and waited on, no record"),
        "check_input": NotData("validates an Operation's shape (depth, keys, NaN) before any middleware; "
                               "refusals name types and lengths, never values"),
        "close": LIFECYCLE,
        "compliance": Via("ComplianceReports"),
        "config": NotData("the settings in force (secrets are SecretStr), no record"),
        "configure": NotData("operator: validated settings overrides, applied like a reload (apply_config)"),
        "define_policy": NotData("application code defining policies, no record"),
        "engine": OutsideActor("the engine under the pipeline, like a database driver: application code only"),
        "execute": COMPILED,
        "from_settings": LIFECYCLE,
        "kpis": Via("KpiService"),
        "monitor": VALUES,
        "operation_context": NotData("the context (actor, tenant, deadline) operations carry, no record"),
        "pii": Via("PiiManager"),
        **dict.fromkeys(("plugins", "plugin_manager"), NotData("the loaded plugins, no record")),
        "policies": NotData("the policy decider: decisions and explanations on what it is given"),
        "query": Via("QueryBuilder"),
        "raise_alert": NotData("sends an alert the application composes"),
        "reload": (f"{INJ}test_invalid_policy_reload_keeps_the_old_policies",
                   f"{INJ}test_reload_that_drops_every_policy_is_what_the_file_says"),
        "repository": Via("Repository"),
        "repository_factory": Via("Repository"),
        "runtime": OutsideActor("the running providers (engine, stores) under the pipeline: application code only"),
        "schema": STATE,
        "security": NotData("security events: models, rules and actor ids of denials, no record value"),
        "services": OutsideActor("the features' objects of the running configuration (cache manager, decider, "
                                 "masking) under the pipeline: features and application code only"),
        "stash": OutsideActor("the features' state kept across reloads (policy registry, audit writers): "
                              "features only"),
        "start": LIFECYCLE,
        "transaction": (f"{RB}test_interactive_transaction_is_scoped", f"{RB}test_raw_sql_in_a_transaction"),
        "watch": NotData("operator: watches the settings files and reloads them (reload)"),
        "web_app": VALUES,
    },
    "SyncInfrastructure": {  # every other attribute is Infrastructure's, proxied through its loop thread
        "from_settings": LIFECYCLE,
        "start": (f"{EP}test_sync_facade_carries_the_actor",),
        "close": LIFECYCLE,
        "infrastructure": Via("Infrastructure"),
        "run": NotData("runs the caller's own coroutine on the loop thread, in a copy of the caller's context (its "
                       "actor): what the coroutine reads or writes goes through the surfaces listed here"),
    },
    "ModelCache": {
        "clear": (f"{CA}test_cache_facade_invalidate_and_clear_stay_scoped",),
        "contains": (f"{CA}test_cache_facade_get_of_another_tenants_entry",),
        "explain": (f"{CA}test_cache_facade_explain_and_stats_hold_no_values",),
        "get": (f"{CA}test_cache_facade_get_never_returns_unmasked_rows",
                f"{CA}test_cache_facade_get_of_another_tenants_entry"),
        "invalidate": (f"{CA}test_cache_facade_invalidate_and_clear_stay_scoped",),
        "stats": (f"{CA}test_cache_facade_explain_and_stats_hold_no_values",),
    },
    "CacheManager": {
        **dict.fromkeys(("peek", "read", "refresh", "write", "warm", "warm_operations", "invalidate_operation"),
                        BELOW),
        **dict.fromkeys(("clear", "clear_model", "invalidate", "on_commit", "discard"),
                        NotData("drops entries (every tenant's: an operator action), returns no record")),
        **dict.fromkeys(("explain", "plan", "is_write", "written_models", "validator"),
                        NotData("how the cache treats an Operation: keys, tags, tiers, no record")),
        **dict.fromkeys(("stats", "model_stats"), (f"{CA}test_cache_facade_explain_and_stats_hold_no_values",)),
        "for_model": Via("ModelCache"),
        "start": LIFECYCLE,
        "close": LIFECYCLE,
    },
    "AuditManager": {
        "history": (f"{CA}test_audit_history_of_a_globex_record",),
        "query": AUDIT_READS,
        "stream": (f"{CA}test_audit_query_is_scoped_and_masked",),
        "export": (f"{CA}test_audit_export_is_scoped",),
        "verify": (f"{CA}test_audit_verify_reveals_no_values",),
        "status": NotData("sink states and counts, no event"),
        "audits": NotData("whether a model is audited"),
        "batch_needs_transaction": NotData("whether a batch's writes must be captured in one transaction"),
        "hasher_for": NotData("the chain hasher of a configuration"),
        **dict.fromkeys(("capture", "close", "discard", "drain", "emit", "flush", "on_commit", "record",
                         "transaction_ended"), AUDIT_WRITER),
    },
    "AnalyticsQuery": {
        "generate": ANALYTICS,
        "to_sql": (f"{AN}test_analytics_to_sql_shows_the_row_filter",),
        "plan": (f"{EP}test_analytics_engine_run_and_plan_are_scoped",),
        **dict.fromkeys(("group_by", "metrics", "where", "interval", "since"), (f"{AN}test_analytics_field_attack",)),
        **dict.fromkeys(("date_field", "date_range", "fill_gaps", "tz"),
                        (f"{EP}test_analytics_engine_run_and_plan_are_scoped",)),
        **dict.fromkeys(("bucket", "date_field_name", "end", "fill", "filters", "group_fields", "metric_args", "start",
                         "tz_name", "where_filter"), STATE),
    },
    "AnalyticsRunner": {
        "for_model": ANALYTICS,
        "plan": (f"{EP}test_analytics_engine_run_and_plan_are_scoped",),
        "run": (f"{EP}test_analytics_engine_run_and_plan_are_scoped",),
    },
    "KpiService": {
        **dict.fromkeys(("build_report", "dashboard_kpis", "evaluate", "evaluate_kpi", "evaluate_rules", "kpi_history",
                         "kpi_states", "kpi_value", "run_report"),
                        OutsideActor("operator-configured KPIs, alert rules and reports (analytics.kpis/alerts/"
                                     "reports), computed on the service's schedule, not an actor's query; the "
                                     "dashboard shows them only to monitoring.web.role")),
        "active_alerts": NotData("alert states: names, severities, messages the rules compose"),
        "flush_alerts": NotData("delivers queued alerts"),
        "status": NotData("the service's schedule and states"),
        "start": LIFECYCLE,
        "close": LIFECYCLE,
    },
    "ComplianceReports": {
        "subject_access": (f"{EP}test_subject_access_of_a_globex_subject",),
        "audit_export": (f"{EP}test_compliance_audit_export_is_scoped",),
        "enforce_retention": OutsideActor("operator job: deletes or anonymises by models.<M>.retention_days"),
    },
    "PiiManager": {
        "inventory": (f"{EP}test_pii_inventory_samples_only_what_the_actor_reads",),
        "unmask": (f"{EP}test_pii_unmask_is_refused_to_a_reader",),
        **dict.fromkeys(("best", "build_inventory", "classify_schema", "classify_values", "detect", "field_categories",
                         "find", "learn", "mask_record", "mask_records", "mask_text", "mask_value", "reveals",
                         "strategy_for"), PURE),
        **dict.fromkeys(("configured", "infrastructure"), STATE),
        **dict.fromkeys(("for_infrastructure", "for_kernel"), LIFECYCLE),
    },
    "prisma_infra.data.repository": {
        "repository": (f"{DA}test_data_repository_is_scoped",),
        "repositories": (f"{DA}test_data_repository_is_scoped",),
        **dict.fromkeys(("Repository", "RepositoryFactory"), Via("Repository")),
        **dict.fromkeys(("FindArgs", "SearchArgs"), NotData("the type of a method's arguments")),
        "ModelInfo": STATE,
    },
    "prisma_infra.data.transaction": {
        "transaction": (f"{DA}test_data_transaction_and_batch_are_scoped",),
        **dict.fromkeys(("batch", "run_batch"), (f"{DA}test_data_transaction_and_batch_are_scoped",)),
        **dict.fromkeys(("Transaction", "current_transaction"), Via("Transaction")),
        "OperationFactory": Via("OperationFactory"),
    },
    "prisma_infra.streaming": {
        "StreamingMethods": Via("Repository"),
        "load": (f"{RP}test_repository_load_relation_across_tenants",),
        "stream": (f"{RP}test_repository_stream", f"{RP}test_query_builder_terminal_sees_no_globex_row"),
    },
    "prisma_infra.bulk": {
        "bulk_create": CREATES,
        "bulk_delete": WRITES,
        "bulk_update": (*WRITES, f"{INF}test_bulk_where_on_hidden_field_is_refused"),
        "bulk_upsert": MOVES,
        "BulkMethods": Via("Repository"),
        **dict.fromkeys(("BatchFailure", "BulkResult", "ProgressCallback"), NotData("a result or callback type")),
    },
    "prisma_infra.search": {
        "SearchMethods": Via("Repository"),
        "SearchArgs": NotData("the type of search arguments"),
    },
    "prisma_infra.pagination": {
        "offset_page": (f"{RP}test_repository_offset_pagination", *TERMINALS),
        "cursor_page": (f"{RP}test_repository_cursor_pagination", f"{INF}test_cursor_on_a_globex_row_is_no_oracle"),
        **dict.fromkeys(("Page", "CursorPage"), NotData("a result type")),
        **dict.fromkeys(("parse_offset", "parse_cursor"), NotData("validates pagination arguments")),
        "Runner": NotData("the type of the function a page runs its reads with"),
    },
    "RestApi": {
        "handle": Via("rest routes"),
        "kernel": Via("Infrastructure"),
        "openapi": NotData("the OpenAPI document: the schema's shape as the settings expose it, no record"),
    },
    "prisma_infra.rest.asgi": {
        **dict.fromkeys(("rest_asgi_app", "RestAsgiApp"), Via("rest routes")),
        "to_api_request": NotData("translates a Starlette request into an ApiRequest, reads no record"),
    },
    "rest routes": {
        "GET /{model}": REST_LISTS,
        "POST /{model}/search": REST_LISTS,
        "GET /{model}/{key}": (f"{REST}test_rest_read_of_a_globex_record_is_not_found",),
        **dict.fromkeys(("GET /{model}/count", "POST /{model}/aggregate", "POST /{model}/group-by",
                         "GET /{model}/analytics"), REST_NUMBERS),
        **dict.fromkeys(("POST /{model}", "PATCH /{model}/{key}", "PUT /{model}/{key}", "DELETE /{model}/{key}",
                         "POST /{model}/bulk"), REST_WRITES),
        "GET /openapi.json": NotData("the OpenAPI document: the schema's shape as the settings expose it, no record"),
        **dict.fromkeys(("GET /docs", "GET /docs/static/{name}"),
                        NotData("the docs UI: a page and the files of the installed Swagger UI, no record")),
    },
    "web routes": {
        "/healthz": HEALTH,
        "/readyz": HEALTH,
        **dict.fromkeys(("/", "/dashboard", "/dashboard/"), ROUTES),
        "/dashboard/static/{name}": (*ROUTES,
                                     f"{WEB}test_static_serves_only_its_files_and_unknown_paths_need_the_token"),
        **dict.fromkeys(("/dashboard/api/snapshot", "/metrics"), VALUES),
        "/dashboard/api/events": (*VALUES, f"{WEB}test_an_open_event_stream_ends_when_its_token_is_revoked"),
    },
}
