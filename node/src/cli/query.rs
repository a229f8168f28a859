//! `hanse query`

use super::{QueryArgs, QueryOutput, api_url, table};
use crate::client::NodeClient;
use crate::node_dir::{NodeDir, NodeDirError};
use crate::sparql::{
    DatasetParams, QueryForm, ResultFormat, SparqlService, parse_query, query_form,
};
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
    let query = parse_query(&text)?;
    let form = query_form(&query);
    let format = result_format(args.format, form);
    let body = if let Some(url) = &args.url {
        NodeClient::new(url.clone(), None)
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
                NodeClient::new(api_url(config.http.listen), None)
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
        (QueryOutput::Json, QueryForm::Graph) => ResultFormat::Rdf(crate::rdf_format::json_ld()),
        (QueryOutput::Csv | QueryOutput::Tsv, QueryForm::Graph) => {
            ResultFormat::Rdf(RdfFormat::NTriples)
        }
    }
}
