//! `hanse query`

use super::{QueryArgs, QueryOutput, api_url, table};
use crate::client::NodeClient;
use crate::node_dir::{NodeDir, NodeDirError};
use crate::store::sparql::{
    DatasetParams, QueryForm, QueryShapeLimits, ResultFormat, SparqlService, parse_query,
    query_form,
};
use crate::trust::admin_token::AdminToken;
use anyhow::Context;
use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;
use std::io::Write;

pub async fn run(args: QueryArgs) -> anyhow::Result<()> {
    let text = match (&args.query, &args.file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read query file {}", path.display()))?,
        (None, None) => anyhow::bail!("give a query or --file"),
    };
    // Parse locally first: a typo is reported with its position without touching a node.
    // The node directory's shape limits apply (the defaults when it has none, e.g. --url).
    let limits = NodeDir::new(&args.dir.dir)
        .load_config()
        .map(|config| QueryShapeLimits::from(&config.sparql))
        .unwrap_or_default();
    let query = parse_query(&text, &limits).await?;
    let form = query_form(&query);
    let format = result_format(args.format, form);
    let given = match &args.token_file {
        Some(path) => Some(
            AdminToken::load(path).with_context(|| format!("--token-file {}", path.display()))?,
        ),
        None => None,
    };
    let body = if args.federated {
        // A federated query acts with the node's agreements: it needs a researcher's token
        // (or the node directory's admin token).
        let (url, token) = match &args.url {
            Some(url) => (url.clone(), given),
            None => {
                let dir = NodeDir::new(&args.dir.dir);
                let url = api_url(dir.load_config()?.http.listen);
                (url, given.or_else(|| dir.load_admin_token().ok()))
            }
        };
        let mut params = vec![("federated", "true")];
        if let Some(purpose) = &args.purpose {
            params.push(("purpose", purpose));
        }
        if args.strict {
            params.push(("strict", "true"));
        }
        let body = NodeClient::new(url, token)
            .query_with(&text, format.media_type(), &params)
            .await?;
        print_report(&body);
        body
    } else if let Some(url) = &args.url {
        NodeClient::new(url.clone(), given)
            .query(&text, format.media_type())
            .await?
    } else {
        let dir = NodeDir::new(&args.dir.dir);
        let config = dir.load_config()?;
        match dir.lock() {
            Ok(_lock) => {
                let store = {
                    let (dir, config) = (dir.clone(), config.clone());
                    tokio::task::spawn_blocking(move || dir.open_store(&config)).await??
                };
                SparqlService::new(store, config.sparql.clone(), 1)
                    .query(query, &DatasetParams::default(), format)
                    .await?
            }
            Err(NodeDirError::AlreadyRunning { .. }) => {
                let token = given.or_else(|| dir.load_admin_token().ok());
                NodeClient::new(api_url(config.http.listen), token)
                    .query(&text, format.media_type())
                    .await?
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut out = std::io::stdout().lock();
    match (args.format, form) {
        (QueryOutput::Table, QueryForm::Solutions) => table::print_solutions(&body, &mut out)?,
        (QueryOutput::Table | QueryOutput::Csv | QueryOutput::Tsv, QueryForm::Boolean) => {
            table::print_boolean(&body, &mut out)?
        }
        _ => {
            out.write_all(&body)?;
            if !body.ends_with(b"\n") {
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// Prints the federation report of JSON results to stderr: sources asked, skipped datasets.
fn print_report(body: &[u8]) {
    let Ok(results) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    let report = &results["federation"];
    let Some(sources) = report["sources"].as_array() else {
        return;
    };
    eprintln!(
        "federated query: {} ({}), {} ms",
        report["status"].as_str().unwrap_or("?"),
        report["mode"].as_str().unwrap_or("?"),
        report["millis"]
    );
    for source in sources {
        eprintln!(
            "  {:<24} {:<8} {:>6} rows {:>4} requests {:>6} ms {}",
            source["name"].as_str().unwrap_or("?"),
            source["status"].as_str().unwrap_or("?"),
            source["rows"].to_string(),
            source["requests"].to_string(),
            source["millis"].to_string(),
            source["error"].as_str().unwrap_or("")
        );
    }
    for skipped in report["skipped"].as_array().into_iter().flatten() {
        let effect = if skipped["affects_answer"].as_bool() == Some(true) {
            "could have answered part of the query"
        } else {
            "holds nothing the query asks for"
        };
        eprintln!(
            "  skipped {}/{} ({effect}): {}",
            skipped["name"].as_str().unwrap_or("?"),
            skipped["dataset"].as_str().unwrap_or("?"),
            skipped["reason"].as_str().unwrap_or("?")
        );
    }
}

fn result_format(output: QueryOutput, form: QueryForm) -> ResultFormat {
    match (output, form) {
        (QueryOutput::Table | QueryOutput::Json, QueryForm::Solutions | QueryForm::Boolean) => {
            ResultFormat::Results(QueryResultsFormat::Json)
        }
        (QueryOutput::Csv, QueryForm::Solutions) => ResultFormat::Results(QueryResultsFormat::Csv),
        (QueryOutput::Tsv, QueryForm::Solutions) => ResultFormat::Results(QueryResultsFormat::Tsv),
        (QueryOutput::Csv | QueryOutput::Tsv, QueryForm::Boolean) => {
            ResultFormat::Results(QueryResultsFormat::Json)
        }
        (QueryOutput::Table, QueryForm::Graph) => ResultFormat::Rdf(RdfFormat::Turtle),
        (QueryOutput::Json, QueryForm::Graph) => {
            ResultFormat::Rdf(crate::store::rdf_format::json_ld())
        }
        (QueryOutput::Csv | QueryOutput::Tsv, QueryForm::Graph) => {
            ResultFormat::Rdf(RdfFormat::NTriples)
        }
    }
}
