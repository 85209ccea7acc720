//! A partner's trusted issuers and trust rules, and a "try a token" panel that shows the
//! decision trace for a token without issuing anything.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{
    ActionDone, ActionError, Check, ConfirmSubmit, ErrorBox, Field, Layout, Submit,
};
use crate::pages::partners::tabs::PartnerTabs;
use api::{
    AddTrustedIssuer, ExplainToken, RuleForm, SetIssuerState, SetIssuerTypedJwt, SetRuleEnabled,
    SetTrustRule, TrustData, trust_overview,
};

use entente_types::grant_type::{TT_ACCESS_TOKEN as TT_ACCESS, TT_ID_TOKEN as TT_ID, TT_JWT};

#[component]
pub fn TrustRules() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let add_issuer = ServerAction::<AddTrustedIssuer>::new();
    let set_rule = ServerAction::<SetTrustRule>::new();
    let toggle = ServerAction::<SetRuleEnabled>::new();
    let issuer_state = ServerAction::<SetIssuerState>::new();
    let typed_jwt = ServerAction::<SetIssuerTypedJwt>::new();
    let explain = ServerAction::<ExplainToken>::new();
    let issuer_keys_wrong = RwSignal::new(false);
    let picked = RwSignal::new((String::new(), String::new()));
    crate::components::refresh_nav_on(move || {
        set_rule.version().get() + toggle.version().get() + issuer_state.version().get()
    });
    let data = Resource::new(
        move || {
            (
                slug(),
                add_issuer.version().get(),
                set_rule.version().get(),
                toggle.version().get(),
                issuer_state.version().get(),
                typed_jwt.version().get(),
            )
        },
        |(s, ..)| trust_overview(s),
    );
    // The partner's name is the page's heading, as on its other tabs.
    let heading = move || {
        view! {
            <Transition fallback=|| "Partner">
                {move || Suspend::new(async move {
                    data.await.map(|o| o.partner.name).unwrap_or_else(|_| "Partner".to_owned())
                })}
            </Transition>
        }
    };
    view! {
        <Layout title="Trust rules" heading=heading>
            <PartnerTabs slug=Signal::derive(slug) current=Signal::stored("trust")/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading trust rules…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(o) => view! { <Overview o=o toggle=toggle issuer_state=issuer_state typed_jwt=typed_jwt set_rule=set_rule explain=explain picked=picked/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {crate::components::may_change().then(|| view! {
                <section>
                    <h2>"Add a trusted issuer"</h2>
                    <ActionForm action=add_issuer attr:class="card" attr:id="new-issuer">
                        <input type="hidden" name="partner" value=slug/>
                        <Field label="Issuer (exact iss)" help="The iss value of the partner's tokens, character for character.">
                            <input name="issuer" required type="url" placeholder="https://idp.partner.example"/>
                        </Field>
                        <crate::components::KeyFields blocked=issuer_keys_wrong
                            uri_label="JWKS URL (https)" uri_help="Fetched by the server, cached, and refetched on an unknown kid."
                            jwks_label="…or paste the JWKS" jwks_help="For an issuer whose keys are not published (public keys only)."/>
                        <fieldset>
                            <legend>"Accepted token kinds"</legend>
                            <Check name="access_tokens" label="JWT access tokens" checked=true/>
                            <Check name="id_tokens" label="ID tokens"/>
                            <Check name="assertions" label="jwt-bearer assertions"/>
                            <Check name="access_tokens_typed_jwt" label="Its access tokens are typed JWT, not at+jwt"
                                help="Keycloak, Microsoft Entra ID and Auth0 type their access tokens JWT by default; ID tokens are still told apart by their claims."/>
                        </fieldset>
                        <Submit label="Add issuer" busy="Adding…" pending=add_issuer.pending() blocked=Signal::derive(move || issuer_keys_wrong.get())/>
                        <ActionError value=Signal::derive(move || add_issuer.value().get())/>
                        {move || matches!(add_issuer.value().get(), Some(Ok(_))).then(|| view! { <p role="status" class="ok">"Issuer added."</p> })}
                    </ActionForm>
                </section>
            })}
        </Layout>
    }
}

#[component]
fn Overview(
    o: TrustData,
    toggle: ServerAction<SetRuleEnabled>,
    issuer_state: ServerAction<SetIssuerState>,
    typed_jwt: ServerAction<SetIssuerTypedJwt>,
    set_rule: ServerAction<SetTrustRule>,
    explain: ServerAction<ExplainToken>,
    /// The rule form's issuer and audience, kept by the page across refreshes (a saved rule
    /// stays the one being edited).
    picked: RwSignal<(String, String)>,
) -> impl IntoView {
    let slug = o.partner.slug.clone();
    let issuers = o.issuers.clone();
    let audiences = o.audiences.clone();
    // The form edits the rule of the chosen issuer and audience, filled from it when there is
    // one, so a re-save keeps what it had (mappings, lifetimes) unless changed here.
    let existing: StoredValue<Vec<(String, String, RuleForm)>> = StoredValue::new(
        o.rules
            .iter()
            .map(|r| (r.issuer.clone(), r.audience.clone(), r.form.clone()))
            .collect(),
    );
    let (was_issuer, was_audience) = picked.get_untracked();
    let issuer = RwSignal::new(if issuers.iter().any(|i| i.issuer == was_issuer) {
        was_issuer
    } else {
        issuers
            .first()
            .map(|i| i.issuer.clone())
            .unwrap_or_default()
    });
    let audience = RwSignal::new(if audiences.contains(&was_audience) {
        was_audience
    } else {
        audiences.first().cloned().unwrap_or_default()
    });
    Effect::new(move |_| picked.set((issuer.get(), audience.get())));
    let form = RwSignal::new(RuleForm::default());
    let editing = RwSignal::new(false);
    Effect::new(move |_| {
        let (i, a) = (issuer.get(), audience.get());
        let found = existing.with_value(|all| {
            all.iter()
                .find(|(ri, ra, _)| *ri == i && *ra == a)
                .map(|(_, _, f)| f.clone())
        });
        editing.set(found.is_some());
        form.set(found.unwrap_or(RuleForm {
            max_depth: 1,
            refresh_lifetime: 8 * 3600,
            ..RuleForm::default()
        }));
    });
    let text = move |get: fn(&RuleForm) -> String| move || form.with(get);
    // Each field is checked as it is typed, by the rules the server applies, and says so beside it.
    let typed = move |set: fn(&mut RuleForm, String)| {
        move |ev: leptos::ev::Event| form.update(|f| set(f, event_target_value(&ev)))
    };
    let problem =
        move |check: fn(&RuleForm) -> Option<String>| Signal::derive(move || form.with(check));
    let scopes_wrong = problem(|f| {
        (!f.scopes.trim().is_empty())
            .then(|| entente_types::names::check_scope_list(&f.scopes).err())
            .flatten()
    });
    let claims_wrong = problem(|f| entente_types::names::check_claim_list(&f.claims).err());
    let mappings_wrong = problem(|f| entente_types::names::check_mapping_list(&f.mappings).err());
    let lifetime_wrong = problem(|f| entente_types::names::check_rule_lifetime(&f.lifetime).err());
    let blocked = Signal::derive(move || {
        scopes_wrong.get().is_some()
            || claims_wrong.get().is_some()
            || mappings_wrong.get().is_some()
            || lifetime_wrong.get().is_some()
    });
    let on = move |get: fn(&RuleForm) -> bool| move || form.with(get);
    view! {
        <p class="subtitle">
            {o.partner.name.clone()} " (" <code>{o.partner.slug.clone()}</code> ") · "
            <A href=format!("/partners/{}/onboarding", o.partner.slug)>"Onboarding"</A> " · "
            <A href=format!("/changes?partner={}", o.partner.slug)>"Change requests"</A> " · "
            <A href=format!("/audit?partner={}", o.partner.slug)>"Audit"</A>
        </p>
        <h2>"Trusted issuers"</h2>
        {if o.issuers.is_empty() {
            view! { <p class="empty">"No trusted issuer yet. Add the partner's identity provider below; its tokens can then be exchanged under a trust rule."</p> }.into_any()
        } else {
            view! {
                <table id="issuers">
                    <thead><tr><th>"Issuer"</th><th>"Keys"</th><th>"Token kinds"</th><th>"Accepted aud"</th><th>"State"</th></tr></thead>
                    <tbody>
                        {o.issuers.into_iter().map(|i| {
                            let on = i.enabled;
                            let partner = slug.clone();
                            let typed = i.typed_jwt;
                            let (p2, iss) = (slug.clone(), i.issuer.clone());
                            let typed_form = crate::components::may_change().then(move || view! {
                                <ActionForm action=typed_jwt attr:class="inline-toggle">
                                    <input type="hidden" name="partner" value=p2/>
                                    <input type="hidden" name="issuer" value=iss.clone()/>
                                    <input type="hidden" name="typed_jwt" value=(!typed).to_string()/>
                                    <button type="submit" class="secondary"
                                        aria-label=format!("{} access tokens typed JWT from {iss}", if typed { "Refuse" } else { "Accept" })>
                                        {if typed { "Require at+jwt" } else { "Accept typ JWT" }}
                                    </button>
                                </ActionForm>
                            });
                            view! {
                                <tr>
                                    <td><code>{i.issuer.clone()}</code></td><td>{i.keys}</td>
                                    <td>{i.kinds}
                                        {typed_form}
                                    </td>
                                    <td>{i.audiences}</td>
                                    <td class="state-cell">
                                        <span class=if on { "state state-active" } else { "state state-revoked" }>{if on { "enabled" } else { "disabled" }}</span>
                                        {crate::components::may_change().then(|| view! {
                                            <ActionForm action=issuer_state>
                                                <input type="hidden" name="partner" value=partner/>
                                                <input type="hidden" name="issuer" value=i.issuer.clone()/>
                                                <input type="hidden" name="enabled" value=(!on).to_string()/>
                                                <ConfirmSubmit label=if on { "Disable" } else { "Enable" } ask=on
                                                    class=if on { "danger" } else { "secondary" }
                                                    question="Disable this issuer? Its tokens are refused for exchange within a second."/>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <ActionError value=Signal::derive(move || issuer_state.value().get())/>
                <ActionDone value=Signal::derive(move || issuer_state.value().get())/>
                <ActionError value=Signal::derive(move || typed_jwt.value().get())/>
                <ActionDone value=Signal::derive(move || typed_jwt.value().get())/>
            }.into_any()
        }}
        <h2>"Trust rules"</h2>
        {if o.rules.is_empty() {
            view! { <p class="empty">"No trust rule yet: tokens from this partner's issuers cannot be exchanged. Set one below."</p> }.into_any()
        } else {
            view! {
                <table id="rules">
                    <thead><tr><th>"Issuer"</th><th>"Audience"</th><th>"At most"</th><th>"Claim → scope"</th><th>"Claims passed"</th><th>"Delegation"</th><th>"Subject"</th><th>"Lifetime"</th><th>"Refresh"</th><th>"State"</th></tr></thead>
                    <tbody>
                        {o.rules.into_iter().map(|r| {
                            let id = r.id.clone();
                            let enabled = r.enabled;
                            view! {
                                <tr>
                                    <td><code>{r.issuer}</code></td>
                                    <td><code>{r.audience}</code></td>
                                    <td>{r.scopes}</td>
                                    <td>{if r.mappings.is_empty() { "—".to_owned() } else { r.mappings }}</td>
                                    <td>{if r.claims.is_empty() { "sub only".to_owned() } else { r.claims }}</td>
                                    <td>{r.delegation}</td>
                                    <td>{if r.pairwise { "pairwise" } else { "public" }}</td>
                                    <td>{r.lifetime.map_or_else(|| "the audience's".to_owned(), |l| format!("{l} s"))}</td>
                                    <td>{if r.refresh { "yes" } else { "no" }}</td>
                                    <td class="state-cell">
                                        <span class=if enabled { "state state-active" } else { "state state-revoked" }>{if enabled { "enabled" } else { "disabled" }}</span>
                                        {if crate::components::may_change() {
                                            view! {
                                                <ActionForm action=toggle>
                                                    <input type="hidden" name="rule_id" value=id/>
                                                    <input type="hidden" name="enabled" value=(!enabled).to_string()/>
                                                    <ConfirmSubmit
                                                        label=if enabled { "Disable" } else { "Enable" }
                                                        question="Disable this trust rule? Exchanges under it stop within a second."
                                                        ask=enabled
                                                        class=if enabled { "danger" } else { "" }
                                                    />
                                                </ActionForm>
                                            }.into_any()
                                        } else {
                                            ().into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <ActionError value=Signal::derive(move || toggle.value().get())/>
        <ActionDone value=Signal::derive(move || toggle.value().get())/>
        {crate::components::may_change().then(|| view! {
            <section>
                <h2>"Set a trust rule"</h2>
                {if issuers.is_empty() {
                    view! { <p class="empty">"Add a trusted issuer first."</p> }.into_any()
                } else {
                    view! {
                        <ActionForm action=set_rule attr:class="card" attr:id="new-rule">
                            <input type="hidden" name="partner" value=slug.clone()/>
                            <input type="hidden" name="refresh_lifetime" prop:value=move || form.with(|f| f.refresh_lifetime.to_string())/>
                            <Field label="Issuer"><select name="issuer" required prop:value=move || issuer.get()
                                on:change=move |ev| issuer.set(event_target_value(&ev))>
                                {issuers.iter().map(|i| view! { <option value=i.issuer.clone()>{i.issuer.clone()}</option> }).collect_view()}
                            </select></Field>
                            <Field label="Audience"><select name="audience" required prop:value=move || audience.get()
                                on:change=move |ev| audience.set(event_target_value(&ev))>
                                {audiences.iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                            </select></Field>
                            <p class="meta" role="status">{move || if editing.get() {
                                "Editing the rule for this issuer and audience: its settings are filled in below."
                            } else {
                                "No rule yet for this issuer and audience: saving creates one."
                            }}</p>
                            <Field label="At most these scopes" help="The ceiling: a request gets these or fewer, and never more than the partner's grant." error=scopes_wrong>
                                <input name="scopes" required placeholder="orders:read" prop:value=text(|f| f.scopes.clone())
                                    aria-invalid=move || scopes_wrong.get().is_some().to_string() on:input=typed(|f, v| f.scopes = v)/>
                            </Field>
                            <Field label="Claims passed through (allowlist)" help="Partner claims copied into issued tokens; rename with from=to." error=claims_wrong>
                                <input name="claims" placeholder="email" prop:value=text(|f| f.claims.clone())
                                    aria-invalid=move || claims_wrong.get().is_some().to_string() on:input=typed(|f, v| f.claims = v)/>
                            </Field>
                            <Field label="Claim values that unlock scopes" help="claim:value=scope, space-separated: groups:admins=orders:write gives orders:write to tokens whose groups contain admins (still within the ceiling and the grant)." error=mappings_wrong>
                                <input name="mappings" placeholder="groups:admins=orders:write" spellcheck="false" prop:value=text(|f| f.mappings.clone())
                                    aria-invalid=move || mappings_wrong.get().is_some().to_string() on:input=typed(|f, v| f.mappings = v)/>
                            </Field>
                            <RuleCheck name="delegation" label="Allow delegation (actor tokens)" checked=on(|f| f.delegation)/>
                            <RuleCheck name="delegation_only" label="Delegation only: every exchange must name an actor" checked=on(|f| f.delegation_only)/>
                            <Field label="Maximum delegation depth">
                                <input name="max_depth" type="number" min="1" max="5" required prop:value=text(|f| f.max_depth.max(1).to_string())/>
                            </Field>
                            <RuleCheck name="pairwise" label="Pairwise subject per audience" help="APIs cannot correlate the partner's users across audiences." checked=on(|f| f.pairwise)/>
                            <RuleCheck name="refresh" label="Issue refresh tokens" checked=on(|f| f.refresh)/>
                            <Field label="Token lifetime (seconds)" help="Blank: the audience's. At most the audience's lifetime is used." error=lifetime_wrong>
                                <input name="lifetime" inputmode="numeric" placeholder="the audience's" prop:value=text(|f| f.lifetime.clone())
                                    aria-invalid=move || lifetime_wrong.get().is_some().to_string() on:input=typed(|f, v| f.lifetime = v)/>
                            </Field>
                            <Field label="Reason (shown to the approver when the rule widens production access)">
                                <input name="reason" maxlength="1000" placeholder="partner onboarding ticket 4711"/>
                            </Field>
                            <Submit label="Save rule" busy="Saving…" pending=set_rule.pending() blocked=blocked/>
                            <ActionError value=Signal::derive(move || set_rule.value().get())/>
                            <ActionDone value=Signal::derive(move || set_rule.value().get())/>
                        </ActionForm>
                    }.into_any()
                }}
            </section>
        })}
        {crate::components::may_change().then(|| view! {
            <section>
                <h2>"Try a token"</h2>
                {if o.clients.is_empty() {
                    view! { <p class="empty">"No client of this partner may exchange tokens yet (grant type token-exchange)."</p> }.into_any()
                } else {
                    view! {
                        <ActionForm action=explain attr:class="card" attr:id="try-token">
                            <Field label="As client"><select name="client_id" required>
                                {o.clients.iter().map(|(id, name)| view! { <option value=id.clone()>{format!("{name} ({id})")}</option> }).collect_view()}
                            </select></Field>
                            <Field label="Subject token" help="Evaluated as an exchange would be; nothing is issued or recorded.">
                                <textarea name="subject_token" rows="4" required placeholder="eyJ…"></textarea>
                            </Field>
                            <Field label="Its type"><select name="subject_token_type">
                                <option value=TT_ACCESS>"access token"</option>
                                <option value=TT_ID>"ID token"</option>
                                <option value=TT_JWT>"JWT"</option>
                            </select></Field>
                            <Field label="Actor token (delegation, optional)"><textarea name="actor_token" rows="2"></textarea></Field>
                            <Field label="Audience"><select name="audience">
                                {o.audiences.iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                            </select></Field>
                            <Field label="Scope (optional)"><input name="scope" placeholder="orders:read"/></Field>
                            <Submit label="Explain" busy="Evaluating…" pending=explain.pending()/>
                            <ActionError value=Signal::derive(move || explain.value().get())/>
                        </ActionForm>
                        {move || match explain.value().get() {
                            Some(Ok(x)) => Some(view! { <DecisionTrace x=x/> }),
                            _ => None,
                        }}
                    }.into_any()
                }}
            </section>
        })}
    }
}

/// A policy decision and the trace of every check (console "try a token", portal "validate a
/// sample token").
#[component]
pub fn DecisionTrace(x: api::Explanation) -> impl IntoView {
    view! {
        <div class="card" id="decision" role="status">
            <p class=if x.allowed { "ok" } else { "error" }><strong>{x.summary}</strong></p>
            <table>
                <thead><tr><th>"Step"</th><th>"Outcome"</th><th>"Detail"</th></tr></thead>
                <tbody>
                    {x.trace.into_iter().map(|t| view! {
                        <tr class=t.outcome.clone()><td>{t.step}</td><td>{t.outcome.clone()}</td><td>{t.detail}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A checkbox of the rule form, ticked from the rule being edited.
#[component]
fn RuleCheck(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] help: Option<&'static str>,
    checked: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="checkbox"><input type="checkbox" name=name prop:checked=checked/> <span>{label}</span></label>
            {help.map(|h| view! { <p class="help">{h}</p> })}
        </div>
    }
}
